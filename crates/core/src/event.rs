//! An event: several rooms, each with its own run-of-show, run from one process. A session file
//! alone is an event of one room (id [`SINGLE_ROOM`]), so every caller handles one shape.
//!
//! **Invariant:** room ids are unique, non-empty and URL-safe (`[a-z0-9-]`, at most
//! [`MAX_ID_CHARS`]), and an event has at least one room.

use std::path::PathBuf;

use chrono_tz::Tz;

use crate::show::Show;

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

    #[test]
    fn room_ids_are_url_safe() {
        for good in ["main", "room-xix", "side-8", "a"] {
            assert!(valid_id(good), "{good}");
        }
        for bad in ["", "Room XIX", "a/b", "-a", "a-", "é", "a.b", &"x".repeat(41)] {
            assert!(!valid_id(bad), "{bad}");
        }
    }
}
