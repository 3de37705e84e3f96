//! The run-of-show: the pure model, parser and timetable live in `podium-core`
//! ([`podium_core::show`], re-exported here); this module adds what reads the machine: the file,
//! and the machine's zone for a session that names none; and an event file with the sessions
//! it names ([`load_event_file`]).

use std::path::Path;

use chrono_tz::Tz;
pub use podium_core::event::{Event, EventError, Room};
pub use podium_core::show::*;

/// Reads and validates an event file and the session files it names; a session file (a file
/// without a top-level `[[room]]`) is an event of one room, [`Event::single`].
pub fn load_event_file(path: &Path) -> Result<Event, EventError> {
    let bytes = std::fs::read(path).map_err(|source| EventError::Read {
        path: path.to_owned(),
        source,
    })?;
    let is_event = std::str::from_utf8(&bytes).is_ok_and(podium_core::event::is_event);
    if !is_event {
        return parse_bytes(path, &bytes, machine_zone())
            .map(Event::single)
            .map_err(|e| EventError::Session(Box::new(e)));
    }
    podium_core::event::parse_event_bytes(path, &bytes, machine_zone(), &mut |p| std::fs::read(p))
}

/// Reads and validates a session file.
pub fn load_file(path: &Path) -> Result<Show, LoadError> {
    let bytes = std::fs::read(path).map_err(|source| LoadError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse_bytes(path, &bytes, machine_zone())
}

/// Validates session text (`path` only names it in messages); a session without `timezone`
/// is in the machine's zone.
pub fn load_str(path: &Path, text: &str) -> Result<Show, LoadError> {
    parse(path, text, machine_zone())
}

/// The machine's own zone, or UTC when it cannot be told.
pub fn machine_zone() -> Tz {
    iana_time_zone::get_timezone()
        .ok()
        .and_then(|name| name.parse().ok())
        .unwrap_or(Tz::UTC)
}
