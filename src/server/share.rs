//! The control page's share panel: the speaker links of a room at each address the machine can be
//! reached on, one per speaker of the run-of-show (`?name=`), and their QR codes as SVG.
//!
//! `GET {room}/api/share` lists them (public, like the agenda: speaker names and the server's
//! own addresses, never a token); `GET {room}/api/share/qr.svg?host=H[&name=N]` draws the QR code
//! of one of those links. It draws only links of this server: `H` must be one of the listed
//! addresses and `N` a speaker of the room's run-of-show, so it is no QR code generator for others.
//!
//! [`links`] is pure (addresses, scheme, room path and speakers in, links out); the handlers only
//! gather its inputs.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use qrcode::QrCode;
use qrcode::render::svg;
use serde::Serialize;

use super::{App, InRoom, error};
use crate::show::Show;

/// Where speakers reach the server: the `host:port`s printed at start-up (a wildcard bind's
/// addresses, loopback last) and the scheme.
#[derive(Debug, Clone, Default)]
pub(crate) struct Hosts {
    pub(crate) hosts: Vec<String>,
    pub(crate) https: bool,
}

/// The share panel's content.
#[derive(Debug, Serialize, PartialEq)]
pub struct Share {
    /// The addresses, in the order to offer them (reachable ones first, loopback last).
    pub hosts: Vec<ShareHost>,
    /// The speakers of the run-of-show, in the order they first speak.
    pub speakers: Vec<Speaker>,
    /// Every link: for each host, the room's speaker view, then one per speaker.
    pub links: Vec<Link>,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct ShareHost {
    pub host: String,
    /// A loopback address: it works on this machine only.
    pub local: bool,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct Speaker {
    pub name: String,
    /// Their segments, as 1-based numbers of the run-of-show.
    pub segments: Vec<usize>,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct Link {
    pub host: String,
    /// The speaker the link greets, `null` for the plain speaker view.
    pub name: Option<String>,
    pub url: String,
    /// The QR code's address, relative to the room (`api/share/qr.svg?…`).
    pub qr: String,
}

/// The speakers of `show`, in the order they first appear, with their segments (1-based).
pub fn speakers(show: &Show) -> Vec<Speaker> {
    let mut found: Vec<Speaker> = Vec::new();
    for (i, segment) in show.segments.iter().enumerate() {
        let Some(name) = segment.speaker.as_deref().map(str::trim) else {
            continue;
        };
        match found.iter_mut().find(|s| s.name == name) {
            Some(speaker) => speaker.segments.push(i + 1),
            None => found.push(Speaker {
                name: name.to_owned(),
                segments: vec![i + 1],
            }),
        }
    }
    found
}

/// The links of a room whose pages are at `room_path` (`/` or `/r/{id}/`) on each of `hosts`
/// (`host:port`), over `https` or not: the plain speaker view and one per speaker. Loopback hosts
/// are marked local. Pure.
pub fn links(hosts: &[String], https: bool, room_path: &str, speakers: Vec<Speaker>) -> Share {
    let scheme = if https { "https" } else { "http" };
    let mut links = Vec::new();
    for host in hosts {
        let base = format!("{scheme}://{host}{room_path}");
        let qr_host = format!("api/share/qr.svg?host={}", encode(host));
        links.push(Link {
            host: host.clone(),
            name: None,
            url: base.clone(),
            qr: qr_host.clone(),
        });
        for speaker in &speakers {
            let name = encode(&speaker.name);
            links.push(Link {
                host: host.clone(),
                name: Some(speaker.name.clone()),
                url: format!("{base}?name={name}"),
                qr: format!("{qr_host}&name={name}"),
            });
        }
    }
    Share {
        hosts: hosts
            .iter()
            .map(|host| ShareHost {
                host: host.clone(),
                local: is_loopback(host),
            })
            .collect(),
        speakers,
        links,
    }
}

/// True for `127.x.y.z:port`, `[::1]:port` and `localhost:port`.
fn is_loopback(host: &str) -> bool {
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    };
    let name = name.trim_start_matches('[').trim_end_matches(']');
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Percent-encodes everything but the unreserved characters (RFC 3986), as UTF-8.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// An SVG drawing of the QR code of `text`, with its quiet zone; `None` if it is too long for one.
pub fn qr_svg(text: &str) -> Option<String> {
    let code = QrCode::new(text.as_bytes()).ok()?;
    Some(
        code.render::<svg::Color>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build(),
    )
}

/// The room's share panel for this request: the configured hosts, or else the one the request
/// came to (a server started without them, as in tests).
fn share_for(app: &App, room_path: &str, show: &Show, headers: &HeaderMap) -> Share {
    let hosts = if app.share.hosts.is_empty() {
        headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(|h| vec![h.to_owned()])
            .unwrap_or_default()
    } else {
        app.share.hosts.clone()
    };
    links(&hosts, app.share.https, room_path, speakers(show))
}

fn room_path(app: &App, room: &str) -> String {
    if app.rooms.is_single() {
        "/".into()
    } else {
        format!("/r/{room}/")
    }
}

/// A relay (`podium relay`) has no run-of-show of its own to share from.
fn relayed() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "speaker links are shared from the moderator's machine, not from a relay",
    )
}

/// `GET {room}/api/share`.
pub(crate) async fn share(
    State(app): State<App>,
    InRoom(room): InRoom,
    headers: HeaderMap,
) -> Response {
    let path = room_path(&app, &room.id);
    // The run-of-show as edited so far: a speaker added mid-show gets a link.
    let Some(show) = room.control.local().map(|handle| handle.current_show()) else {
        return relayed();
    };
    axum::Json(share_for(&app, &path, &show, &headers)).into_response()
}

/// `GET {room}/api/share/qr.svg?host=H[&name=N]`: the QR code of one of the room's links.
pub(crate) async fn qr(
    State(app): State<App>,
    InRoom(room): InRoom,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let path = room_path(&app, &room.id);
    // The run-of-show as edited so far: a speaker added mid-show gets a link.
    let Some(show) = room.control.local().map(|handle| handle.current_show()) else {
        return relayed();
    };
    let share = share_for(&app, &path, &show, &headers);
    let host = query.get("host").map(String::as_str).unwrap_or_default();
    let name = query.get("name").map(String::as_str);
    let Some(link) = share
        .links
        .iter()
        .find(|l| l.host == host && l.name.as_deref() == name)
    else {
        return error(
            StatusCode::NOT_FOUND,
            "no such link: host must be one of this server's addresses and name a speaker of the \
             run-of-show (GET api/share lists them)",
        );
    };
    match qr_svg(&link.url) {
        Some(svg) => ([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response(),
        None => error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "the link is too long for a QR code",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_percent_encoded_as_utf8() {
        assert_eq!(encode("Neha"), "Neha");
        assert_eq!(encode("Ana & Bo"), "Ana%20%26%20Bo");
        assert_eq!(encode("Zoë"), "Zo%C3%AB");
        assert_eq!(encode("[::1]:80"), "%5B%3A%3A1%5D%3A80");
    }

    #[test]
    fn loopback_hosts_are_local() {
        for local in [
            "127.0.0.1:8080",
            "[::1]:8080",
            "localhost:80",
            "127.9.9.9:1",
        ] {
            assert!(is_loopback(local), "{local}");
        }
        for far in ["10.0.0.5:8080", "[fd00::2]:8080", "studio.lan:80"] {
            assert!(!is_loopback(far), "{far}");
        }
    }
}
