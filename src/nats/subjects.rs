//! Every NATS name podium uses: subjects, streams, the lease bucket and headers. Each is built by
//! a function or constant here and nowhere else, so the origin, the relays and the standby agree
//! by construction (the contract of issue 13, `docs/protocol.md`).
//!
//! `<event>` and `<room>` are ids already restricted to `[a-z0-9-]` (no `.`, `*`, `>` or space),
//! so a subject built from them has exactly the tokens shown.

/// Every subject starts with this token.
pub const PREFIX: &str = "podium";

/// The JetStream stream keeping the last value of every `podium.<event>.<room>.<what>` subject
/// (max 1 message per subject, memory storage) for a relay that starts later.
pub const STATE_STREAM: &str = "PODIUM_STATE";

/// The JetStream stream of journal lines (file storage).
pub const JOURNAL_STREAM: &str = "PODIUM_JOURNAL";

/// The KV bucket holding each event's lease (key: the event id).
pub const LEASE_BUCKET: &str = "podium_lease";

/// Header: the lease epoch of the primary that published (0 without a standby).
pub const HEADER_EPOCH: &str = "Podium-Epoch";

/// Header: a room's publication number, increasing per room and per epoch, so a receiver drops
/// anything older than what it has.
pub const HEADER_SEQ: &str = "Podium-Seq";

/// Header: a journal line's number in its run (the show header is line 0), so a follower keeps
/// each line once and in order.
pub const HEADER_LINE: &str = "Podium-Line";

/// The last-value data of a room that the pages need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum What {
    /// The exact state text the origin's own WebSocket viewers get.
    State,
    /// The run-of-show as `GET /api/show` answers it (for the token holder).
    Show,
    /// The public agenda as `GET /api/agenda` answers it.
    Agenda,
    /// What a relay needs to serve the room: its layout among the event's rooms, its title.
    Room,
}

impl What {
    /// Every kind, in the order a relay fetches them when it catches up.
    pub const ALL: [What; 4] = [What::Room, What::Show, What::Agenda, What::State];

    /// The subject's last token.
    pub fn token(self) -> &'static str {
        match self {
            What::State => "state",
            What::Show => "show",
            What::Agenda => "agenda",
            What::Room => "room",
        }
    }

    fn from_token(token: &str) -> Option<What> {
        What::ALL.into_iter().find(|w| w.token() == token)
    }
}

/// `podium.<event>.<room>.<what>`: a room's last value of one kind.
pub fn room_value(event: &str, room: &str, what: What) -> String {
    format!("{PREFIX}.{event}.{room}.{}", what.token())
}

/// `podium.<event>.<room>.state`
pub fn state(event: &str, room: &str) -> String {
    room_value(event, room, What::State)
}

/// The wildcards a relay subscribes to, and the state stream's subjects: `podium.*.*.<what>`.
pub fn room_value_wildcards() -> Vec<String> {
    What::ALL
        .iter()
        .map(|w| format!("{PREFIX}.*.*.{}", w.token()))
        .collect()
}

/// Reads `podium.<event>.<room>.<what>` back, or `None` for any other subject or a malformed id.
pub fn parse_room_value(subject: &str) -> Option<(&str, &str, What)> {
    let mut parts = subject.split('.');
    let (prefix, event, room, what) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || prefix != PREFIX || !is_id(event) || !is_id(room) {
        return None;
    }
    Some((event, room, What::from_token(what)?))
}

/// `podium.<event>.<room>.journal` (stream [`JOURNAL_STREAM`]).
pub fn journal(event: &str, room: &str) -> String {
    format!("{PREFIX}.{event}.{room}.journal")
}

/// `podium.<event>.*.journal`: every room's journal of an event (what a standby follows).
pub fn journals_of(event: &str) -> String {
    format!("{PREFIX}.{event}.*.journal")
}

/// Reads `podium.<event>.<room>.journal` back as `(event, room)`.
pub fn parse_journal(subject: &str) -> Option<(&str, &str)> {
    let mut parts = subject.split('.');
    let (prefix, event, room, what) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    (parts.next().is_none() && prefix == PREFIX && what == "journal" && is_id(event) && is_id(room))
        .then_some((event, room))
}

/// The journal stream's subjects: `podium.*.*.journal`.
pub fn journal_wildcard() -> String {
    format!("{PREFIX}.*.*.journal")
}

/// `podium.<event>.cmd`: request/reply, a command forwarded by a relay to the primary.
pub fn cmd(event: &str) -> String {
    format!("{PREFIX}.{event}.cmd")
}

/// `podium.<event>.time`: request/reply, the origin's time base (answered like a `pong`).
pub fn time(event: &str) -> String {
    format!("{PREFIX}.{event}.time")
}

/// The lease's key in [`LEASE_BUCKET`]: the event id.
pub fn lease_key(event: &str) -> &str {
    event
}

/// An event or room id as the subjects need it (the rooms' rule, `[a-z0-9-]`, bounded).
pub fn is_id(id: &str) -> bool {
    podium_core::event::valid_id(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_values_read_back() {
        let subject = state("summit", "main-hall");
        assert_eq!(subject, "podium.summit.main-hall.state");
        assert_eq!(
            parse_room_value(&subject),
            Some(("summit", "main-hall", What::State))
        );
        for what in What::ALL {
            assert_eq!(
                parse_room_value(&room_value("e", "r", what)),
                Some(("e", "r", what))
            );
        }
    }

    #[test]
    fn other_subjects_are_not_room_values() {
        for subject in [
            "podium.e.cmd",
            "podium.e.r.journal",
            "podium.e.r.state.x",
            "other.e.r.state",
            "podium.E.r.state",
            "podium..r.state",
            "podium.e.r",
        ] {
            assert_eq!(parse_room_value(subject), None, "{subject}");
        }
    }
}
