//! Who is watching: one entry per open viewer socket (its name from `/ws?name=…`, its kind, when it
//! connected, and the clock-sync estimate the screen reports), listed for the moderator only
//! (`GET /api/presence`, bearer token). An entry lives exactly as long as its socket: the
//! [`Seat`] that holds it is dropped when the socket's loop ends.
//!
//! **Invariant:** nothing here is ever sent to a viewer; it never blocks (a short mutex, no I/O).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde::{Deserialize, Serialize};

/// The longest screen name kept, in characters (longer names are cut).
pub const MAX_NAME_CHARS: usize = 40;
/// Kinds of screen a client may declare; anything else is recorded as unknown. `moderator` is not
/// one of them: a screen is the moderator only once it has shown the token ([`Seat::promote`]).
const KINDS: [&str; 3] = ["page", "agenda", "terminal"];

/// How a viewer introduces itself in the WebSocket URL: `/ws?name=Neha&kind=page`.
#[derive(Debug, Default, Deserialize)]
pub struct Introduction {
    pub name: Option<String>,
    pub kind: Option<String>,
}

/// One connected screen as the moderator sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Screen {
    pub id: u64,
    /// The name the screen gave (trimmed, control characters removed, at most 40 characters).
    pub name: Option<String>,
    /// `page`, `agenda`, `terminal`, or `moderator` once the socket has shown the token; `None`
    /// when the client did not say (or claimed to be the moderator without the token).
    pub kind: Option<&'static str>,
    pub connected_at_ms: i64,
    /// The screen's own estimate of its round trip and of the server's clock minus its own, in ms;
    /// `None` until it reports one.
    pub rtt_ms: Option<f64>,
    pub offset_ms: Option<f64>,
}

/// The registry of open viewer sockets. Cheap to clone (shared).
#[derive(Debug, Default, Clone)]
pub struct Presence {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Debug, Default)]
struct Inner {
    next_id: u64,
    screens: BTreeMap<u64, Screen>,
}

impl Presence {
    /// Registers a screen; it is listed until the returned seat is dropped.
    pub fn join(&self, intro: Introduction, now_ms: i64) -> Seat {
        let mut inner = self.lock();
        inner.next_id += 1;
        let id = inner.next_id;
        let screen = Screen {
            id,
            name: intro.name.as_deref().and_then(clean_name),
            kind: intro
                .kind
                .as_deref()
                .and_then(|k| KINDS.into_iter().find(|known| *known == k)),
            connected_at_ms: now_ms,
            rtt_ms: None,
            offset_ms: None,
        };
        inner.screens.insert(id, screen);
        Seat {
            presence: self.clone(),
            id,
        }
    }

    /// How many screens are connected.
    pub fn count(&self) -> usize {
        self.lock().screens.len()
    }

    /// Every connected screen, oldest connection first.
    pub fn list(&self) -> Vec<Screen> {
        self.lock().screens.values().cloned().collect()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding this lock leaves plain data behind: still usable.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One socket's place in the registry; dropping it removes the screen.
#[derive(Debug)]
pub struct Seat {
    presence: Presence,
    id: u64,
}

impl Seat {
    /// Records the screen's clock-sync estimate. Nonsense (negative or non-finite round trips,
    /// offsets beyond a day) is ignored: the list shows what a real screen could have measured.
    pub fn report(&self, rtt_ms: f64, offset_ms: f64) {
        const DAY_MS: f64 = 86_400_000.0;
        let plausible = rtt_ms.is_finite()
            && (0.0..=DAY_MS).contains(&rtt_ms)
            && offset_ms.is_finite()
            && offset_ms.abs() <= DAY_MS;
        if !plausible {
            return;
        }
        if let Some(screen) = self.presence.lock().screens.get_mut(&self.id) {
            screen.rtt_ms = Some(rtt_ms);
            screen.offset_ms = Some(offset_ms);
        }
    }
}

impl Seat {
    /// Lists the screen as the moderator's: the socket has shown the token.
    pub fn promote(&self) {
        if let Some(screen) = self.presence.lock().screens.get_mut(&self.id) {
            screen.kind = Some("moderator");
        }
    }
}

impl Drop for Seat {
    fn drop(&mut self) {
        self.presence.lock().screens.remove(&self.id);
    }
}

/// A name fit for the moderator's list, or `None` when nothing printable is left.
fn clean_name(raw: &str) -> Option<String> {
    let name: String = raw
        .chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .chars()
        .take(MAX_NAME_CHARS)
        .collect();
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intro(name: Option<&str>, kind: Option<&str>) -> Introduction {
        Introduction {
            name: name.map(str::to_owned),
            kind: kind.map(str::to_owned),
        }
    }

    #[test]
    fn a_screen_is_listed_while_its_seat_lives() {
        let presence = Presence::default();
        let neha = presence.join(intro(Some("Neha"), Some("page")), 1_000);
        let anon = presence.join(intro(None, None), 2_000);
        neha.report(152.5, -3.25);
        let list = presence.list();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].name.as_deref(), Some("Neha"));
        assert_eq!(list[0].kind, Some("page"));
        assert_eq!(
            (list[0].rtt_ms, list[0].offset_ms),
            (Some(152.5), Some(-3.25))
        );
        assert_eq!((list[1].name.as_ref(), list[1].rtt_ms), (None, None));
        drop(neha);
        assert_eq!(presence.list().len(), 1);
        drop(anon);
        assert!(presence.list().is_empty());
    }

    #[test]
    fn names_and_kinds_are_cleaned_and_reports_checked() {
        let presence = Presence::default();
        let seat = presence.join(intro(Some("  Ne\u{7}ha\n "), Some("robot")), 0);
        let long = presence.join(intro(Some(&"x".repeat(100)), Some("terminal")), 0);
        let blank = presence.join(intro(Some(" \t "), None), 0);
        seat.report(f64::NAN, 0.0);
        seat.report(-1.0, 0.0);
        seat.report(10.0, 1e300);
        let list = presence.list();
        assert_eq!(list[0].name.as_deref(), Some("Neha"));
        assert_eq!(list[0].kind, None);
        assert_eq!(list[0].rtt_ms, None);
        assert_eq!(
            list[1].name.as_ref().map(|n| n.chars().count()),
            Some(MAX_NAME_CHARS)
        );
        assert_eq!(list[1].kind, Some("terminal"));
        assert_eq!(list[2].name, None);
        drop((seat, long, blank));
    }
}
