//! OSC (Open Sound Control over UDP) in and out, for the tools a production crew already runs:
//! lighting desks, QLab, vMix, TouchOSC, Companion. The address space is in `docs/osc.md`.
//!
//! - In (`--osc-listen ADDR`, [`listen`]): `/podium/next`, `/podium/adjust 60`,
//!   `/podium/message "…"`, … become the engine's [`Command`](crate::engine::Command)s, sent to the
//!   room's controller like any other. With several rooms the room comes first:
//!   `/podium/<room>/next`. OSC has no authentication, so the socket listens on loopback unless
//!   told otherwise, and a run bound elsewhere says so loudly; each source address has the
//!   command rate of a WebSocket connection (`--commands-per-second`); a malformed, oversized or
//!   over-rate packet is refused with a log line (themselves rationed) and the show goes on.
//! - Out (`--osc-send HOST:PORT`, [`send`]): the phase and the remaining seconds, when they change
//!   and once a second, derived from the controller's published state through the display rules
//!   (`podium_core::display`) at the run's [`Clock`](crate::clock::Clock): what the screens show.
//!
//! **Invariant:** nothing here touches an engine or reads a clock of its own; a failing or
//! hostile OSC peer costs only its own packets.

mod listen;
mod send;

use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};

use tokio::net::UdpSocket;
use tokio_util::sync::CancellationToken;

use crate::controller::Handle;

pub use listen::{MAX_PACKET, parse_message};
pub use send::remaining_seconds;

/// Where OSC goes, validated (`--osc-listen`, `--osc-send`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OscConfig {
    /// Take commands on this UDP address.
    pub listen: Option<SocketAddr>,
    /// Send the state to these UDP addresses.
    pub send: Vec<SocketAddr>,
}

/// An `--osc-listen` or `--osc-send` value that cannot be used; the message says what to write.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{flag} {given:?}: {why}")]
pub struct OscError {
    pub flag: &'static str,
    pub given: String,
    pub why: String,
}

impl OscConfig {
    /// Validates the flags' values: every problem, each naming its flag.
    pub fn from_args(listen: Option<&str>, send: &[String]) -> Result<OscConfig, Vec<OscError>> {
        let mut problems = Vec::new();
        let listen = listen.and_then(|given| {
            parse_listen(given)
                .map_err(|why| {
                    problems.push(OscError {
                        flag: "--osc-listen",
                        given: given.to_owned(),
                        why,
                    })
                })
                .ok()
        });
        let send = send
            .iter()
            .filter_map(|given| {
                parse_send(given)
                    .map_err(|why| {
                        problems.push(OscError {
                            flag: "--osc-send",
                            given: given.clone(),
                            why,
                        })
                    })
                    .ok()
            })
            .collect();
        if problems.is_empty() {
            Ok(OscConfig { listen, send })
        } else {
            Err(problems)
        }
    }
}

/// `--osc-listen`: `ADDRESS:PORT`, a port alone (`9000`, `:9000`: on 127.0.0.1), or
/// `localhost:PORT`. Host names are not resolved: an address to listen on is this machine's.
pub fn parse_listen(given: &str) -> Result<SocketAddr, String> {
    let s = given.trim();
    let hint = "write a port alone (9000: this machine only), ADDRESS:PORT (127.0.0.1:9000, \
                0.0.0.0:9000 for every interface) or [::1]:9000";
    if let Ok(addr) = s.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let port = s
        .strip_prefix("localhost:")
        .or_else(|| s.strip_prefix(':'))
        .unwrap_or(s);
    match port.parse::<u16>() {
        Ok(port) => Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port)),
        Err(_) => Err(format!("not an address to listen on; {hint}")),
    }
}

/// `--osc-send`: `HOST:PORT`, resolved now (a name with several addresses: the first IPv4 one).
pub fn parse_send(given: &str) -> Result<SocketAddr, String> {
    let s = given.trim();
    let hint = "write HOST:PORT, e.g. 127.0.0.1:53000 (QLab), 192.168.1.20:8000 or \
                desk.local:8000";
    if let Ok(addr) = s.parse::<SocketAddr>() {
        return match addr.port() {
            0 => Err(format!("port 0 cannot be sent to; {hint}")),
            _ => Ok(addr),
        };
    }
    let Some((host, port)) = s.rsplit_once(':') else {
        return Err(format!("the port is missing; {hint}"));
    };
    let port = match port.parse::<u16>() {
        Ok(0) | Err(_) => return Err(format!("the port must be a number from 1 to 65535; {hint}")),
        Ok(port) => port,
    };
    if host.is_empty() || host.contains(|c: char| c.is_whitespace() || c == '/') {
        return Err(format!("not a host; {hint}"));
    }
    let found: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {host:?} ({e}); {hint}"))?
        .collect();
    found
        .iter()
        .find(|a| a.is_ipv4())
        .or(found.first())
        .copied()
        .ok_or_else(|| format!("{host:?} has no address; {hint}"))
}

/// Binds the `--osc-listen` socket (none without the flag). Called before any journal is created,
/// like the HTTP listener: a run that cannot start leaves nothing behind.
pub fn bind(config: &OscConfig) -> std::io::Result<Option<UdpSocket>> {
    let Some(addr) = config.listen else {
        return Ok(None);
    };
    let socket = std::net::UdpSocket::bind(addr)?;
    socket.set_nonblocking(true)?;
    UdpSocket::from_std(socket).map(Some)
}

/// One room as OSC sees it: its id (`/podium/<id>/…` when there are several) and its controller.
#[derive(Clone)]
pub struct Room {
    pub id: String,
    pub control: Handle,
}

/// The rooms OSC addresses. A lone session's commands have no room in their address.
#[derive(Clone)]
pub struct Rooms {
    pub rooms: Vec<Room>,
    /// A plain session: `/podium/next`, not `/podium/<room>/next`.
    pub single: bool,
}

impl Rooms {
    /// The address prefix of `room`'s messages: `/podium` alone, `/podium/<id>` with rooms.
    fn prefix(&self, room: &Room) -> String {
        if self.single {
            "/podium".into()
        } else {
            format!("/podium/{}", room.id)
        }
    }
}

/// Starts OSC in (on `socket`, bound by [`bind`]) and out (to `config.send`), for every room;
/// returns the tasks, which end when `shutdown` is cancelled. `per_second` is each source's
/// command rate (`--commands-per-second`, as for a WebSocket connection).
pub async fn spawn(
    config: &OscConfig,
    socket: Option<UdpSocket>,
    rooms: Rooms,
    per_second: u32,
    shutdown: CancellationToken,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut tasks = Vec::new();
    if let Some(socket) = socket {
        tasks.push(tokio::spawn(listen::run(
            socket,
            rooms.clone(),
            per_second,
            shutdown.clone(),
        )));
    }
    if !config.send.is_empty() {
        match send::Sender::open(&config.send).await {
            Ok(sender) => {
                for room in &rooms.rooms {
                    tasks.push(tokio::spawn(send::run(
                        sender.clone(),
                        rooms.prefix(room),
                        room.control.clone(),
                        shutdown.clone(),
                    )));
                }
            }
            Err(e) => tracing::error!("cannot open a UDP socket to send OSC ({e}): no OSC out"),
        }
    }
    tasks
}

/// The warning a listener beyond loopback deserves (OSC carries no token).
pub fn exposure_warning(addr: SocketAddr) -> Option<String> {
    (!addr.ip().is_loopback()).then(|| {
        format!(
            "podium: WARNING: OSC commands are accepted on {addr}, beyond this machine, and OSC \
             has no password: anyone who can send a UDP packet to this port can run the show. \
             Keep --osc-listen on 127.0.0.1 (the default for a port alone) unless the network is \
             the crew's own."
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_addresses_default_to_loopback() {
        let home = |port| SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port);
        assert_eq!(parse_listen("9000"), Ok(home(9000)));
        assert_eq!(parse_listen(":9000"), Ok(home(9000)));
        assert_eq!(parse_listen("localhost:9000"), Ok(home(9000)));
        assert_eq!(
            parse_listen("0.0.0.0:9000"),
            Ok("0.0.0.0:9000".parse().unwrap())
        );
        assert_eq!(parse_listen("[::1]:0"), Ok("[::1]:0".parse().unwrap()));
        assert!(parse_listen("desk").unwrap_err().contains("port alone"));
        assert!(parse_listen("70000").is_err());
    }

    #[test]
    fn send_addresses_need_a_host_and_a_port() {
        assert_eq!(
            parse_send("127.0.0.1:53000"),
            Ok("127.0.0.1:53000".parse().unwrap())
        );
        assert_eq!(parse_send("localhost:53000").map(|a| a.port()), Ok(53000));
        assert!(parse_send("127.0.0.1").unwrap_err().contains("port"));
        assert!(parse_send("127.0.0.1:0").unwrap_err().contains("port 0"));
        assert!(parse_send(":53000").unwrap_err().contains("not a host"));
        let all = OscConfig::from_args(Some("desk"), &["x".into(), "127.0.0.1:9".into()]);
        let flags: Vec<_> = all.unwrap_err().iter().map(|e| e.flag).collect();
        assert_eq!(flags, ["--osc-listen", "--osc-send"]);
    }

    #[test]
    fn a_listener_beyond_loopback_is_warned_about() {
        assert!(exposure_warning("127.0.0.1:9000".parse().unwrap()).is_none());
        assert!(exposure_warning("[::1]:9000".parse().unwrap()).is_none());
        let warning = exposure_warning("0.0.0.0:9000".parse().unwrap()).unwrap();
        assert!(warning.contains("WARNING") && warning.contains("no password"));
    }
}
