//! The run-of-show: the pure model, parser and timetable live in `podium-core`
//! ([`podium_core::show`], re-exported here); this module adds what reads the machine: the file,
//! and the machine's zone for a session that names none.

use std::path::Path;

use chrono_tz::Tz;
pub use podium_core::show::*;

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
