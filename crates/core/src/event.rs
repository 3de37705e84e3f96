//! An event: several rooms, each with its own run-of-show, run from one process. A session file
//! alone is an event of one room (id [`SINGLE_ROOM`]), so every caller handles one shape.
//!
//! **Invariant:** room ids are unique, non-empty and URL-safe (`[a-z0-9-]`, at most
//! [`MAX_ID_CHARS`]), and an event has at least one room.
//!
//! The event file ([`parse_event`]): a `title`, an optional `timezone` (the default of every
//! room's show that names none) and one `[[room]]` per room, each with an `id`, an optional
//! `name` and its run-of-show either as `session = "PATH"` (relative to the event file) or inline
//! as `[room.show]` with a session file's keys. A file with a top-level `[[room]]` is an event
//! ([`is_event`]); anything else is a session. Every refusal names `FILE:LINE:COL`; a room's
//! show that fails names the room and the show's own position. This module reads no file: the
//! caller passes a reader for the sessions the event names.
//!
//! One session file may be named by several rooms: each room is its own run (own controller,
//! clock and journal), and parallel breakouts that run the same plan at their own pace are real
//! (the same workshop in rooms A to D). Nothing is shared between the rooms but the text they
//! were read from, so there is nothing to refuse; [`Event::shared_sessions`] lets `check` mention
//! it, in case it was a copy-paste slip.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use serde::Deserialize;
use toml::Spanned;

use crate::show::{
    LoadError, RawShow, Show, line_col, parse_bytes, parse_zone, segment_header, utf8, validate,
};

/// The id of the one room of a plain session file.
pub const SINGLE_ROOM: &str = "main";

/// The longest room id.
pub const MAX_ID_CHARS: usize = 40;

/// A validated event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The file the event came from (the session file for a single room).
    pub path: PathBuf,
    pub title: String,
    pub timezone: Tz,
    pub rooms: Vec<Room>,
}

/// One room of an event.
#[derive(Debug, Clone, PartialEq)]
pub struct Room {
    /// Used in URLs (`/r/{id}/`), journal names and messages.
    pub id: String,
    /// What people call it ("Room XIX").
    pub name: String,
    pub show: Show,
    /// The session file the show was read from, as resolved against the event file; `None` for a
    /// show written inline (and for a plain session, whose file is `show.path`).
    pub session: Option<PathBuf>,
}

impl Event {
    /// A plain session file as an event of one room, [`SINGLE_ROOM`].
    pub fn single(show: Show) -> Event {
        Event {
            path: show.path.clone(),
            title: show.title.clone(),
            timezone: show.timezone,
            rooms: vec![Room {
                id: SINGLE_ROOM.to_owned(),
                name: show.title.clone(),
                show,
                session: None,
            }],
        }
    }

    /// Whether this is a plain session (one room, today's URLs at `/`).
    pub fn is_single(&self) -> bool {
        self.rooms.len() == 1 && self.rooms[0].id == SINGLE_ROOM
    }

    /// The room with `id`.
    pub fn room(&self, id: &str) -> Option<&Room> {
        self.rooms.iter().find(|r| r.id == id)
    }

    /// The session files named by more than one room, each with the ids of its rooms (in the
    /// file's order). Allowed (see the module's doc); `check` mentions them.
    pub fn shared_sessions(&self) -> Vec<(&Path, Vec<&str>)> {
        let mut shared: Vec<(&Path, Vec<&str>)> = Vec::new();
        for room in &self.rooms {
            let Some(session) = room.session.as_deref() else {
                continue;
            };
            match shared.iter_mut().find(|(path, _)| *path == session) {
                Some((_, ids)) => ids.push(&room.id),
                None => shared.push((session, vec![&room.id])),
            }
        }
        shared.retain(|(_, ids)| ids.len() > 1);
        shared
    }
}

/// Why an event file was refused.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error("{path}: cannot read the event file: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A plain session file (an event of one room) that was refused, as the loader says it.
    #[error(transparent)]
    Session(Box<LoadError>),
    /// The event file itself: its TOML, title, zone or a room's keys.
    #[error("{path}:{line}:{col}: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        col: usize,
        message: String,
    },
    /// A room's show was refused: `source` names its own `FILE:LINE:COL` (the session file, or
    /// the event file for an inline show).
    #[error("{source} (room {room:?}{})", named_at(path, *line, *col))]
    Room {
        room: String,
        /// Where the room names its session file (`None` for an inline show).
        path: Option<PathBuf>,
        line: usize,
        col: usize,
        #[source]
        source: Box<LoadError>,
    },
}

fn named_at(path: &Option<PathBuf>, line: usize, col: usize) -> String {
    match path {
        Some(path) => format!(
            ", whose session is named at {}:{line}:{col}",
            path.display()
        ),
        None => String::new(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvent {
    title: Option<Spanned<String>>,
    timezone: Option<Spanned<String>>,
    #[serde(default)]
    room: Vec<Spanned<RawRoom>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoom {
    id: Option<Spanned<String>>,
    name: Option<Spanned<String>>,
    session: Option<Spanned<String>>,
    show: Option<Spanned<RawShow>>,
}

/// Whether `text` is an event file: it has a top-level `[[room]]` (an array of tables named
/// `room`). Text that is not TOML is an event when a line starts with `[[room]]`, so that its
/// syntax error is reported as the event's.
pub fn is_event(text: &str) -> bool {
    match text.parse::<toml::Table>() {
        Ok(table) => table
            .get("room")
            .is_some_and(|room| matches!(room, toml::Value::Array(rooms) if rooms.iter().all(toml::Value::is_table))),
        Err(_) => text.lines().any(|line| {
            let line: String = line.chars().filter(|c| !c.is_whitespace()).collect();
            line.starts_with("[[room]]")
        }),
    }
}

/// Validates the bytes of an event file read from `path` (see [`parse_event`]).
pub fn parse_event_bytes(
    path: &Path,
    bytes: &[u8],
    default_zone: Tz,
    read: &mut dyn FnMut(&Path) -> std::io::Result<Vec<u8>>,
) -> Result<Event, EventError> {
    let text = utf8(bytes).map_err(|bad| EventError::Invalid {
        path: path.to_owned(),
        line: bad.line,
        col: bad.col,
        message: bad.to_string(),
    })?;
    parse_event(path, text, default_zone, read)
}

/// Validates an event file's text. `path` names it in messages and is where relative session
/// paths start; `default_zone` is the zone when neither the event nor a show names one; `read`
/// reads a session file the event names (the app passes `std::fs::read`).
pub fn parse_event(
    path: &Path,
    text: &str,
    default_zone: Tz,
    read: &mut dyn FnMut(&Path) -> std::io::Result<Vec<u8>>,
) -> Result<Event, EventError> {
    let fail = |span: Range<usize>, message: String| {
        let (line, col) = line_col(text, span.start);
        EventError::Invalid {
            path: path.to_owned(),
            line,
            col,
            message,
        }
    };
    let raw: RawEvent = toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        let mut message = e.message().trim_end().replace('\n', " ");
        if let Some(line) = room_header_before(text, span.start) {
            message.push_str(&format!(" (in the [[room]] at line {line})"));
        }
        fail(span, message)
    })?;
    let title = match &raw.title {
        Some(t) if !t.get_ref().trim().is_empty() => t.get_ref().trim().to_owned(),
        Some(t) => {
            return Err(fail(
                t.span(),
                "the event's title is empty: give the event's name, e.g. title = \"Labour Mobility Conference\"".into(),
            ));
        }
        None => {
            return Err(fail(
                0..0,
                "the event has no title: add title = \"…\" at the top, before the first [[room]]"
                    .into(),
            ));
        }
    };
    let timezone = match &raw.timezone {
        Some(tz) => parse_zone(tz.get_ref()).map_err(|why| fail(tz.span(), why))?,
        None => default_zone,
    };
    if raw.room.is_empty() {
        return Err(fail(
            text.len()..text.len(),
            "the event has no rooms: add a [[room]] with an id and a session (or a [room.show])"
                .into(),
        ));
    }
    let base = path.parent().unwrap_or(Path::new(""));
    let mut first_line: HashMap<String, usize> = HashMap::new();
    let mut rooms = Vec::with_capacity(raw.room.len());
    for (n, spanned) in raw.room.into_iter().enumerate() {
        let header = segment_header(text, spanned.span());
        let room = spanned.into_inner();
        let Some(id) = &room.id else {
            return Err(fail(
                header,
                format!(
                    "room {} has no id: add id = \"…\" (lowercase letters, digits and -, used in its URL /r/ID/)",
                    n + 1
                ),
            ));
        };
        let id_text = id.get_ref().as_str();
        if !valid_id(id_text) {
            return Err(fail(id.span(), bad_id(id_text)));
        }
        let (line, _) = line_col(text, id.span().start);
        if let Some(first) = first_line.insert(id_text.to_owned(), line) {
            return Err(fail(
                id.span(),
                format!(
                    "room id {id_text:?} is already used by the room at line {first}: give each room its own id"
                ),
            ));
        }
        let name = room
            .name
            .as_ref()
            .map(|n| n.get_ref().trim().to_owned())
            .filter(|n| !n.is_empty());
        let in_room = |source: LoadError, at: Option<Range<usize>>| {
            let (line, col) = at.as_ref().map_or((0, 0), |at| line_col(text, at.start));
            EventError::Room {
                room: id_text.to_owned(),
                path: at.map(|_| path.to_owned()),
                line,
                col,
                source: Box::new(source),
            }
        };
        let (show, session) = match (&room.session, room.show) {
            (Some(_), Some(show)) => {
                // Points at the show's table.
                return Err(fail(
                    show.span(),
                    format!(
                        "room {id_text:?} has both session = and [room.show]: keep one (a session file, or the show inline)"
                    ),
                ));
            }
            (None, None) => {
                return Err(fail(
                    header,
                    format!(
                        "room {id_text:?} has no run-of-show: add session = \"FILE.toml\" (relative to this file) or a [room.show] table with a session file's keys"
                    ),
                ));
            }
            (Some(session), None) => {
                let written = session.get_ref().trim();
                if written.is_empty() {
                    return Err(fail(
                        session.span(),
                        format!(
                            "room {id_text:?}: session is empty: give the session file's path, relative to this file"
                        ),
                    ));
                }
                // `components` drops the `.` of "./day.toml", so two rooms naming one file
                // the same way or not are told apart only when the files differ.
                let file: PathBuf = base.join(written).components().collect();
                let show = read(&file)
                    .map_err(|source| LoadError::Read {
                        path: file.clone(),
                        source,
                    })
                    .and_then(|bytes| parse_bytes(&file, &bytes, timezone))
                    .map_err(|e| in_room(e, Some(session.span())))?;
                (show, Some(file))
            }
            (None, Some(inline)) => {
                let at = inline.span();
                let raw_show = inline.into_inner();
                let untitled = raw_show
                    .title
                    .as_ref()
                    .is_none_or(|t| t.get_ref().trim().is_empty());
                let mut show = validate(path, text, raw_show, timezone, at.start)
                    .map_err(|e| in_room(e, None))?;
                if untitled {
                    show.title = name.clone().unwrap_or_else(|| id_text.to_owned());
                }
                (show, None)
            }
        };
        rooms.push(Room {
            id: id_text.to_owned(),
            name: name.unwrap_or_else(|| show.title.clone()),
            show,
            session,
        });
    }
    Ok(Event {
        path: path.to_owned(),
        title,
        timezone,
        rooms,
    })
}

/// The line of the last `[[room]]` header before byte `offset`, if any: a TOML error inside a
/// room (a show's missing field) names its room by that line.
fn room_header_before(text: &str, offset: usize) -> Option<usize> {
    let before = text.get(..offset)?;
    let mut found = None;
    for (n, line) in before.lines().enumerate() {
        let line: String = line.chars().filter(|c| !c.is_whitespace()).collect();
        if line.starts_with("[[room]]") {
            found = Some(n + 1);
        }
    }
    found
}

/// Why `id` is not a room id, with an id made from it that is.
fn bad_id(id: &str) -> String {
    let mut slug = String::new();
    for c in id.trim().chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            slug.push(c);
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug: String = slug.trim_matches('-').chars().take(MAX_ID_CHARS).collect();
    let slug = slug.trim_end_matches('-');
    let hint = if slug.is_empty() {
        String::new()
    } else {
        format!(", e.g. id = {slug:?}")
    };
    format!(
        "room id {id:?} is not URL-safe: use lowercase letters a-z, digits and -, not at the start or end, at most {MAX_ID_CHARS} characters{hint}"
    )
}

/// Whether `id` may name a room: non-empty, at most [`MAX_ID_CHARS`], `[a-z0-9-]` only, not
/// starting or ending with `-`.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_CHARS
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
        && !id.ends_with('-')
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: &str = "title = \"Plenary\"\nstart = \"2017-10-13T10:00\"\n[[segment]]\ntitle = \"Panel\"\nduration = \"3h\"\n";

    /// Parses `text` as `conf/event.toml`; the reader knows `conf/day.toml` (and `conf/bad.toml`,
    /// whose segment has no duration on line 4).
    fn event(text: &str) -> Result<Event, EventError> {
        let mut read = |path: &Path| match path.to_str() {
            Some("conf/day.toml") => Ok(DAY.as_bytes().to_vec()),
            Some("conf/bad.toml") => {
                Ok(b"title = \"Bad\"\n\n[[segment]]\ntitle = \"No length\"\n".to_vec())
            }
            _ => Err(std::io::Error::from(std::io::ErrorKind::NotFound)),
        };
        parse_event(Path::new("conf/event.toml"), text, Tz::UTC, &mut read)
    }

    fn refused(text: &str) -> String {
        event(text).expect_err("refused").to_string()
    }

    const GOOD: &str = r#"title = "Labour Mobility Conference"
timezone = "Europe/Zurich"

[[room]]
id = "plenary"
name = "Room XIX"
session = "day.toml"

[[room]]
id = "side-viii"
[room.show]
title = "Human rights"
start = "2017-10-13T13:15"
[[room.show.segment]]
title = "Side event"
duration = "75m"
"#;

    #[test]
    fn an_event_names_its_rooms_and_their_shows() {
        let event = event(GOOD).expect("valid");
        assert_eq!(event.title, "Labour Mobility Conference");
        assert_eq!(event.timezone, chrono_tz::Europe::Zurich);
        assert!(!event.is_single());
        let ids: Vec<&str> = event.rooms.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["plenary", "side-viii"]);
        let plenary = &event.rooms[0];
        assert_eq!(plenary.name, "Room XIX");
        assert_eq!(plenary.show.title, "Plenary");
        assert_eq!(plenary.session.as_deref(), Some(Path::new("conf/day.toml")));
        assert_eq!(plenary.show.path, Path::new("conf/day.toml"));
        // The event's zone is the default of a session that names none.
        assert_eq!(plenary.show.timezone, chrono_tz::Europe::Zurich);
        let side = &event.rooms[1];
        assert_eq!(
            side.name, "Human rights",
            "the name defaults to the show's title"
        );
        assert_eq!(side.session, None);
        assert_eq!(side.show.path, Path::new("conf/event.toml"));
        assert_eq!(side.show.segments[0].duration.as_secs(), 75 * 60);
        assert_eq!(
            side.show.start.map(|s| s.to_rfc3339()).as_deref(),
            Some("2017-10-13T11:15:00+00:00"),
            "13:15 in Zurich"
        );
        assert!(event.shared_sessions().is_empty());
    }

    #[test]
    fn an_inline_show_without_a_title_takes_the_rooms_name() {
        let text = "title = \"E\"\n[[room]]\nid = \"a\"\nname = \"Room A\"\n[room.show]\n[[room.show.segment]]\ntitle = \"T\"\nduration = \"5m\"\n";
        let event = event(text).expect("valid");
        assert_eq!(event.rooms[0].show.title, "Room A");
    }

    #[test]
    fn an_inline_shows_error_points_into_the_event_file() {
        let text = GOOD.replace("duration = \"75m\"", "duration = 75");
        assert_eq!(
            refused(&text),
            "conf/event.toml:16:12: duration = 75 is a number; write duration = \"75m\" for 75 minutes, or \"75s\" for seconds (room \"side-viii\")"
        );
        let text = GOOD.replace("title = \"Side event\"\n", "");
        assert_eq!(
            refused(&text),
            "conf/event.toml:14:1: missing field `title` (in the [[room]] at line 9)"
        );
        let text = GOOD.replace("start = ", "stat = ");
        assert!(
            refused(&text).starts_with("conf/event.toml:13:1: unknown field `stat`"),
            "{}",
            refused(&text)
        );
    }

    #[test]
    fn every_refusal_says_where_and_what_to_fix() {
        let cases: &[(&str, &str)] = &[
            (
                "[[room]]\nid = \"a\"\nsession = \"day.toml\"\n",
                "conf/event.toml:1:1: the event has no title: add title = \"…\"",
            ),
            (
                "title = \"E\"\nroom = []\n",
                "conf/event.toml:3:1: the event has no rooms",
            ),
            (
                "title = \"E\"\n[[room]]\nid = \"a\"\nsession = \"day.toml\"\n[[room]]\nid = \"a\"\nsession = \"day.toml\"\n",
                "conf/event.toml:6:6: room id \"a\" is already used by the room at line 3: give each room its own id",
            ),
            (
                "title = \"E\"\n[[room]]\nid = \"Room XIX\"\nsession = \"day.toml\"\n",
                "conf/event.toml:3:6: room id \"Room XIX\" is not URL-safe: use lowercase letters a-z, digits and -, not at the start or end, at most 40 characters, e.g. id = \"room-xix\"",
            ),
            (
                "title = \"E\"\n[[room]]\nsession = \"day.toml\"\n",
                "conf/event.toml:2:1: room 1 has no id: add id = \"…\"",
            ),
            (
                "title = \"E\"\n[[room]]\nid = \"a\"\n",
                "conf/event.toml:2:1: room \"a\" has no run-of-show: add session = \"FILE.toml\"",
            ),
            (
                "title = \"E\"\n[[room]]\nid = \"a\"\nsession = \"day.toml\"\n[room.show]\ntitle = \"x\"\n",
                "conf/event.toml:5:1: room \"a\" has both session = and [room.show]: keep one",
            ),
            (
                "title = \"E\"\n[[room]]\nid = \"a\"\nsession = \"bad.toml\"\n",
                "conf/bad.toml:3:1: segment 1 (\"No length\") has no duration: add e.g. duration = \"15m\" (room \"a\", whose session is named at conf/event.toml:4:11)",
            ),
            (
                "title = \"E\"\n[[room]]\nid = \"a\"\nsession = \"gone.toml\"\n",
                "conf/gone.toml: cannot read the session file: entity not found (room \"a\", whose session is named at conf/event.toml:4:11)",
            ),
            (
                "title = \"E\"\ntimezone = \"Europe/Zurch\"\n[[room]]\nid = \"a\"\nsession = \"day.toml\"\n",
                "conf/event.toml:2:12: ",
            ),
            (
                "title = \"E\"\n[[room]]\nid = \"a\"\nsesion = \"day.toml\"\n",
                "conf/event.toml:4:1: unknown field `sesion`, expected one of `id`, `name`, `session`, `show`",
            ),
        ];
        for (text, want) in cases {
            let got = refused(text);
            assert!(
                got.starts_with(want),
                "{text}\n  got:  {got}\n  want: {want}…"
            );
        }
    }

    #[test]
    fn an_inline_show_without_segments_is_refused_at_its_table() {
        let got = refused("title = \"E\"\n[[room]]\nid = \"a\"\n[room.show]\ntitle = \"x\"\n");
        assert!(
            got.starts_with("conf/event.toml:4:1: the show has no segments"),
            "{got}"
        );
    }

    #[test]
    fn a_session_named_by_two_rooms_is_allowed_and_told() {
        let text = "title = \"E\"\n[[room]]\nid = \"a\"\nsession = \"day.toml\"\n[[room]]\nid = \"b\"\nsession = \"./day.toml\"\n[[room]]\nid = \"c\"\nsession = \"day.toml\"\n";
        let event = event(text).expect("allowed");
        let shared = event.shared_sessions();
        assert_eq!(
            shared,
            vec![(Path::new("conf/day.toml"), vec!["a", "b", "c"])]
        );
    }

    #[test]
    fn an_event_is_told_from_a_session_by_its_rooms() {
        assert!(is_event(GOOD));
        assert!(!is_event(DAY));
        assert!(!is_event("title = \"x\"\nroom = \"XIX\"\n"));
        // Broken TOML: still an event, so its syntax error is the event's.
        assert!(is_event("title = \"E\n[[room]]\nid = \"a\"\n"));
        assert!(!is_event("title = \"E\n[[segment]]\n"));
    }

    #[test]
    fn room_ids_are_url_safe() {
        for good in ["main", "room-xix", "side-8", "a"] {
            assert!(valid_id(good), "{good}");
        }
        for bad in [
            "",
            "Room XIX",
            "a/b",
            "-a",
            "a-",
            "é",
            "a.b",
            &"x".repeat(41),
        ] {
            assert!(!valid_id(bad), "{bad}");
        }
    }
}
