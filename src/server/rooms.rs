//! The rooms of an event as the server sees them: each room's controller, moderator token and
//! connected screens, the organiser's token, and who a presented token speaks for. Also the two
//! pages that are about rooms rather than in one: the list at `/` (several rooms) and the `404`
//! of an unknown room, which lists them too.
//!
//! **Invariant:** a room's token controls that room only; the organiser's controls every room;
//! a single session (one room, today's URLs at `/`) has no organiser token.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::Token;
use super::presence::Presence;
use super::source::{Remote, Source};
use crate::controller::Handle;

/// One room given to the server.
#[derive(Clone)]
pub struct RoomEntry {
    /// URL-safe (`/r/{id}/`), unique within the event.
    pub id: String,
    /// What people call it ("Room XIX").
    pub name: String,
    pub control: Handle,
    /// This room's moderator token.
    pub token: Token,
}

/// A room as served: its entry and who is connected to it.
pub(crate) struct Room {
    pub id: String,
    pub name: String,
    pub control: Source,
    pub token: Token,
    pub presence: Presence,
}

/// The registry of an event's rooms. Cheap to clone (shared).
#[derive(Clone)]
pub struct Rooms {
    inner: Arc<Inner>,
}

struct Inner {
    rooms: Vec<Arc<Room>>,
    /// One room served at `/` (a plain session file).
    single: bool,
    organiser: Option<Token>,
}

/// One room at a glance, for the organiser's overview (`overview.rs`).
#[derive(Clone)]
pub struct RoomView {
    pub id: String,
    pub name: String,
    /// Where the room's state comes from: its published state (`subscribe()`), show and clock.
    pub control: Source,
    /// Screens connected to the room now.
    pub screens: usize,
}

/// Whom a presented token speaks for, in one room.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Access {
    /// This room's moderator.
    Moderator,
    /// The organiser, who controls every room.
    Organiser,
    /// The moderator of another room (its id): refused with `403` and the reason.
    OtherRoom(String),
    /// Nobody's: a wrong token.
    Wrong,
}

impl Rooms {
    /// A plain session: one room, served at `/` as before events existed.
    pub fn single(control: Handle, token: Token) -> Rooms {
        let name = control.show().title.clone();
        Rooms::build(
            vec![RoomEntry {
                id: podium_core::event::SINGLE_ROOM.to_owned(),
                name,
                control,
                token,
            }],
            true,
            None,
        )
    }

    /// Several rooms under `/r/{id}/`, with the organiser's token.
    pub fn event(rooms: Vec<RoomEntry>, organiser: Token) -> Rooms {
        Rooms::build(rooms, false, Some(organiser))
    }

    /// The rooms of an event served from elsewhere (`podium relay`): each `(id, name, source,
    /// token)`, the tokens as digests (`Token::from_digest`); `single` serves the one room at `/`
    /// like the origin does.
    pub fn relayed(
        rooms: Vec<(String, String, Arc<dyn Remote>, Token)>,
        single: bool,
        organiser: Option<Token>,
    ) -> Rooms {
        let rooms = rooms
            .into_iter()
            .map(|(id, name, remote, token)| (id, name, Source::Relayed(remote), token))
            .collect();
        Rooms::assemble(rooms, single, organiser)
    }

    fn build(rooms: Vec<RoomEntry>, single: bool, organiser: Option<Token>) -> Rooms {
        let rooms = rooms
            .into_iter()
            .map(|r| (r.id, r.name, Source::Local(r.control), r.token))
            .collect();
        Rooms::assemble(rooms, single, organiser)
    }

    fn assemble(
        rooms: Vec<(String, String, Source, Token)>,
        single: bool,
        organiser: Option<Token>,
    ) -> Rooms {
        let rooms = rooms
            .into_iter()
            .map(|(id, name, control, token)| {
                Arc::new(Room {
                    id,
                    name,
                    control,
                    token,
                    presence: Presence::default(),
                })
            })
            .collect();
        Rooms {
            inner: Arc::new(Inner {
                rooms,
                single,
                organiser,
            }),
        }
    }

    /// Whether this is a plain session served at `/`.
    pub fn is_single(&self) -> bool {
        self.inner.single
    }

    /// Every room: id, name, controller and how many screens are connected, in the event's order.
    pub fn views(&self) -> Vec<RoomView> {
        self.inner
            .rooms
            .iter()
            .map(|r| RoomView {
                id: r.id.clone(),
                name: r.name.clone(),
                control: r.control.clone(),
                screens: r.presence.count(),
            })
            .collect()
    }

    /// What the origin tells its relays of each room (`nats::origin`): id, name, controller
    /// (none for a relayed room) and the SHA-256 of its moderator token.
    pub fn for_relays(&self) -> Vec<(String, String, Option<Handle>, [u8; 32])> {
        self.inner
            .rooms
            .iter()
            .map(|r| {
                (
                    r.id.clone(),
                    r.name.clone(),
                    r.control.local().cloned(),
                    r.token.digest(),
                )
            })
            .collect()
    }

    /// The SHA-256 of the organiser's token, if the event has one.
    pub fn organiser_digest(&self) -> Option<[u8; 32]> {
        self.inner.organiser.as_ref().map(Token::digest)
    }

    /// Whether `presented` is the organiser's token.
    pub fn is_organiser(&self, presented: &str) -> bool {
        self.inner
            .organiser
            .as_ref()
            .is_some_and(|o| o.matches(presented))
    }

    pub(crate) fn organiser(&self) -> Option<&Token> {
        self.inner.organiser.as_ref()
    }

    pub(crate) fn get(&self, id: &str) -> Option<Arc<Room>> {
        self.inner.rooms.iter().find(|r| r.id == id).cloned()
    }

    /// The room of a single session.
    pub(crate) fn only(&self) -> Option<Arc<Room>> {
        self.inner
            .rooms
            .first()
            .filter(|_| self.inner.single)
            .cloned()
    }

    /// Any room's source (for the clock, which every room shares the base of).
    pub(crate) fn first(&self) -> Option<&Source> {
        self.inner.rooms.first().map(|r| &r.control)
    }

    /// Whom `presented` speaks for in `room`. Every token is compared, each in constant time.
    pub(crate) fn access(&self, room: &Room, presented: &str) -> Access {
        if room.token.matches(presented) {
            return Access::Moderator;
        }
        if self.is_organiser(presented) {
            return Access::Organiser;
        }
        match self
            .inner
            .rooms
            .iter()
            .find(|r| r.id != room.id && r.token.matches(presented))
        {
            Some(other) => Access::OtherRoom(other.id.clone()),
            None => Access::Wrong,
        }
    }

    /// The room whose moderator token `presented` is, if any.
    pub(crate) fn owner(&self, presented: &str) -> Option<String> {
        self.inner
            .rooms
            .iter()
            .find(|r| r.token.matches(presented))
            .map(|r| r.id.clone())
    }

    /// Whether `presented` is any valid token (the gate of the reserved connections).
    pub(crate) fn any_token(&self, presented: &str) -> bool {
        self.is_organiser(presented) || self.inner.rooms.iter().any(|r| r.token.matches(presented))
    }

    /// `/` of an event: every room with what is on now, so a speaker picks theirs.
    pub(crate) fn list_page(&self) -> Html<String> {
        Html(page(
            "Rooms",
            &format!(
                "<h1>Rooms</h1>\n<p>Pick your room.</p>\n{}",
                self.list_html()
            ),
        ))
    }

    /// The `404` of an unknown room: a page listing the rooms, or JSON under `api/` and `ws`.
    pub(crate) fn not_found(&self, id: &str, path: &str) -> Response {
        let ids: Vec<&str> = self.inner.rooms.iter().map(|r| r.id.as_str()).collect();
        let why = format!(
            "there is no room {:?} in this event; its rooms: {}",
            id,
            ids.join(", ")
        );
        let api = path.contains("/api/") || path.ends_with("/ws");
        if api {
            return super::error(StatusCode::NOT_FOUND, &why);
        }
        let body = page(
            "No such room",
            &format!(
                "<h1>No room {}</h1>\n<p>This event's rooms:</p>\n{}",
                escape(id),
                self.list_html()
            ),
        );
        (StatusCode::NOT_FOUND, Html(body)).into_response()
    }

    fn list_html(&self) -> String {
        let mut items = String::from("<ul class=\"rooms\">\n");
        for room in &self.inner.rooms {
            let (now, phase) = room.control.now_line();
            items.push_str(&format!(
                "<li><a href=\"/r/{id}/\">{name}</a> — <span class=\"now\">{now}</span> \
                 <span class=\"phase\">({phase})</span></li>\n",
                id = escape(&room.id),
                name = escape(&room.name),
                now = escape(&now),
                phase = escape(&phase),
            ));
        }
        items.push_str("</ul>");
        items
    }
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{} — podium</title>\n<link rel=\"stylesheet\" href=\"/assets/style.css\">\n\
         </head>\n<body class=\"rooms-page\">\n{}\n</body>\n</html>\n",
        escape(title),
        body
    )
}

/// Text for HTML.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn text_is_escaped_for_html() {
        assert_eq!(
            super::escape("<a href=\"x\">R&D's</a>"),
            "&lt;a href=&quot;x&quot;&gt;R&amp;D&#39;s&lt;/a&gt;"
        );
    }
}
