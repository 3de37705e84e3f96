//! OSC in: one UDP socket, packets decoded by `rosc`, each message mapped onto a
//! [`Command`] ([`parse_message`], pure) and sent to its room's controller.
//!
//! A packet is refused, with a log line, when it is larger than [`MAX_PACKET`], is not OSC, names
//! no known command or room, or comes over its source's rate (`--commands-per-second` per
//! address, an IPv6 /64 counted as one like the token throttle's [`Source`]). Log lines are
//! rationed ([`LOG_BURST`], then one per [`LOG_REFILL`], the rest counted and said with the next),
//! so a flood cannot fill a disk with them. Bundles are opened (their time tags ignored: a
//! command is carried out when it arrives) and each message in them counts as one command.
//!
//! **Invariant:** a packet is read into a fixed buffer and decoded once; nothing a sender does
//! reaches a controller except a validated command within its rate.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use rosc::{OscMessage, OscPacket, OscType};
use tokio::net::UdpSocket;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::Rooms;
use crate::engine::Command;
use crate::protocol;
use crate::server::throttle::Source;

/// The largest packet read, in bytes: an Ethernet frame's payload, as `rosc` assumes. A message
/// of the longest text (280 characters of 4 bytes) fits.
pub const MAX_PACKET: usize = rosc::decoder::MTU;

/// Refusals logged at once before the log is rationed.
const LOG_BURST: f64 = 10.0;
/// After the burst, one refusal logged per this long; the others are counted.
const LOG_REFILL: Duration = Duration::from_secs(1);
/// Sources whose rate is remembered; past it, the ones with a full bucket are forgotten.
const MAX_SOURCES: usize = 4096;

/// What one OSC message asks: a command for a room (`None`: the only room, or the message named
/// no room with a lone session), or nothing (a button's release, `0`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub room: Option<String>,
    pub command: Option<Command>,
}

/// Maps one message onto a command. `single`: a plain session, whose addresses have no room
/// (`/podium/next`); otherwise the room comes first (`/podium/<room>/next`).
pub fn parse_message(msg: &OscMessage, single: bool) -> Result<Parsed, String> {
    let Some(rest) = msg.addr.strip_prefix("/podium/") else {
        return Err("not a podium address: they begin with /podium/ (docs/osc.md)".into());
    };
    let parts: Vec<&str> = rest.split('/').collect();
    let (room, verb) = match (single, parts.as_slice()) {
        (true, [verb]) => (None, *verb),
        (false, [room, verb]) => (Some((*room).to_owned()), *verb),
        (false, [_]) => {
            return Err("this run has several rooms: name one, /podium/<room>/next".into());
        }
        (true, _) => return Err("unknown address; e.g. /podium/next (docs/osc.md)".into()),
        (false, _) => return Err("unknown address; e.g. /podium/<room>/next (docs/osc.md)".into()),
    };
    let args = msg.args.as_slice();
    let trigger = |cmd: Command| pressed(args).map(|on| on.then_some(cmd));
    let command = match verb {
        "start" => trigger(Command::Start)?,
        "pause" => trigger(Command::Pause)?,
        "resume" => trigger(Command::Resume)?,
        "toggle" => trigger(Command::Toggle)?,
        "next" => trigger(Command::Next)?,
        "previous" => trigger(Command::Previous)?,
        "reset" => trigger(Command::Reset)?,
        "fit" => trigger(Command::Fit)?,
        "goto" => {
            let n = whole(args, "goto takes the segment's number, 1 for the first")?;
            if n < 1 {
                return Err("goto counts segments from 1".into());
            }
            Some(Command::Goto((n - 1) as usize))
        }
        "adjust" => Some(Command::Adjust(whole(
            args,
            "adjust takes seconds, e.g. 60 or -30",
        )?)),
        "message" => {
            let text = match args {
                [] => "",
                [OscType::String(text)] => text.as_str(),
                _ => return Err("message takes one string (none, or \"\", clears it)".into()),
            };
            // The HTTP API's validation, once: length, control characters, trimming.
            let body = serde_json::json!({"cmd": "message", "text": text}).to_string();
            Some(protocol::parse_command(body.as_bytes())?)
        }
        "preset" => {
            let n = whole(args, "preset takes the preset's number, 1 for the first")?;
            if n < 1 {
                return Err("presets count from 1".into());
            }
            let body = serde_json::json!({"cmd": "message", "preset": n}).to_string();
            Some(protocol::parse_command(body.as_bytes())?)
        }
        "blackout" => Some(Command::Blackout(switch(args, "blackout")?)),
        "focus" => Some(Command::Focus(switch(args, "focus")?)),
        _ => {
            return Err(
                "unknown command; start, pause, resume, toggle, next, previous, goto, adjust, \
                 message, preset, blackout, focus, fit, reset (docs/osc.md)"
                    .into(),
            );
        }
    };
    Ok(Parsed { room, command })
}

/// A button's argument: none or non-zero is a press, `0` (or false) its release, ignored.
fn pressed(args: &[OscType]) -> Result<bool, String> {
    match args {
        [] => Ok(true),
        [one] => number(one)
            .map(|n| n != 0.0)
            .ok_or_else(|| "takes no argument, or a number (0 is a button's release)".into()),
        _ => Err("takes no argument, or one number".into()),
    }
}

/// `on`/`off` as OSC tools send it: true/false, 1/0, or the words.
fn switch(args: &[OscType], verb: &str) -> Result<bool, String> {
    let usage = || format!("{verb} takes 1 (on) or 0 (off)");
    match args {
        [OscType::String(s)] => match s.trim() {
            "on" | "1" | "true" => Ok(true),
            "off" | "0" | "false" => Ok(false),
            _ => Err(usage()),
        },
        [one] => number(one).map(|n| n != 0.0).ok_or_else(usage),
        _ => Err(usage()),
    }
}

/// One whole number, of any OSC numeric type or a string of digits (tools differ).
fn whole(args: &[OscType], usage: &str) -> Result<i64, String> {
    let n = match args {
        [OscType::String(s)] => s.trim().parse::<f64>().ok(),
        [one] => number(one),
        _ => None,
    };
    match n {
        Some(n) if n.fract() == 0.0 && n.abs() < 1e12 => Ok(n as i64),
        _ => Err(usage.to_owned()),
    }
}

fn number(arg: &OscType) -> Option<f64> {
    match *arg {
        OscType::Int(n) => Some(f64::from(n)),
        OscType::Long(n) => Some(n as f64),
        OscType::Float(n) if n.is_finite() => Some(f64::from(n)),
        OscType::Double(n) if n.is_finite() => Some(n),
        OscType::Bool(b) => Some(if b { 1.0 } else { 0.0 }),
        _ => None,
    }
}

/// The messages of a packet, bundles opened (depth bounded by the packet's size).
fn messages(packet: OscPacket, into: &mut Vec<OscMessage>) {
    match packet {
        OscPacket::Message(msg) => into.push(msg),
        OscPacket::Bundle(bundle) => {
            for inner in bundle.content {
                messages(inner, into);
            }
        }
    }
}

/// Commands each source may send per second (also the burst), per source.
struct Rates {
    rate: f64,
    buckets: HashMap<Source, (f64, Instant)>,
}

impl Rates {
    fn new(per_second: u32) -> Rates {
        Rates {
            rate: f64::from(per_second.max(1)),
            buckets: HashMap::new(),
        }
    }

    fn take(&mut self, from: SocketAddr, now: Instant) -> bool {
        let source = Source::of(from.ip());
        if !self.buckets.contains_key(&source) && self.buckets.len() >= MAX_SOURCES {
            let rate = self.rate;
            self.buckets.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * rate < rate
            });
            if self.buckets.len() >= MAX_SOURCES {
                return false;
            }
        }
        let (tokens, at) = self.buckets.entry(source).or_insert((self.rate, now));
        *tokens =
            (*tokens + now.saturating_duration_since(*at).as_secs_f64() * self.rate).min(self.rate);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// The refusals' log, rationed.
struct Log {
    credit: f64,
    at: Instant,
    unsaid: u64,
}

impl Log {
    fn new(now: Instant) -> Log {
        Log {
            credit: LOG_BURST,
            at: now,
            unsaid: 0,
        }
    }

    fn refuse(&mut self, from: SocketAddr, what: &str, why: &str) {
        let now = Instant::now();
        self.credit = (self.credit
            + now.saturating_duration_since(self.at).as_secs_f64() / LOG_REFILL.as_secs_f64())
        .min(LOG_BURST);
        self.at = now;
        if self.credit < 1.0 {
            self.unsaid += 1;
            return;
        }
        self.credit -= 1.0;
        let unsaid = match std::mem::take(&mut self.unsaid) {
            0 => String::new(),
            n => format!(" ({n} more OSC packets refused before this one, not logged)"),
        };
        tracing::warn!(
            "OSC from {from}: {} refused: {}{unsaid}",
            crate::term::printable(what),
            crate::term::printable(why)
        );
    }
}

/// Receives until `shutdown`; see the module's doc.
pub(super) async fn run(
    socket: UdpSocket,
    rooms: Rooms,
    per_second: u32,
    shutdown: CancellationToken,
) {
    let mut buf = vec![0u8; MAX_PACKET + 1];
    let mut rates = Rates::new(per_second);
    let mut log = Log::new(Instant::now());
    loop {
        let received = tokio::select! {
            _ = shutdown.cancelled() => return,
            received = socket.recv_from(&mut buf) => received,
        };
        let (len, from) = match received {
            Ok(got) => got,
            Err(e) => {
                tracing::warn!("OSC socket: {e}");
                // Never a busy loop on a socket error that repeats.
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        if len > MAX_PACKET {
            log.refuse(from, "a packet", &format!("larger than {MAX_PACKET} bytes"));
            continue;
        }
        let packet = match rosc::decoder::decode_udp(&buf[..len]) {
            Ok((_, packet)) => packet,
            Err(e) => {
                if !rates.take(from, Instant::now()) {
                    log.refuse(
                        from,
                        "a packet",
                        &format!("over {per_second} commands a second from this address"),
                    );
                } else {
                    log.refuse(from, "a packet", &format!("not OSC ({e})"));
                }
                continue;
            }
        };
        let mut found = Vec::new();
        messages(packet, &mut found);
        for msg in found {
            if !rates.take(from, Instant::now()) {
                log.refuse(
                    from,
                    &msg.addr,
                    &format!("over {per_second} commands a second from this address"),
                );
                continue;
            }
            apply(&rooms, from, &msg, &mut log).await;
        }
    }
}

async fn apply(rooms: &Rooms, from: SocketAddr, msg: &OscMessage, log: &mut Log) {
    let parsed = match parse_message(msg, rooms.single) {
        Ok(parsed) => parsed,
        Err(why) => return log.refuse(from, &msg.addr, &why),
    };
    let Some(command) = parsed.command else {
        return; // a button's release
    };
    let room = match &parsed.room {
        None => rooms.rooms.first(),
        Some(id) => rooms.rooms.iter().find(|r| &r.id == id),
    };
    let Some(room) = room else {
        let ids: Vec<&str> = rooms.rooms.iter().map(|r| r.id.as_str()).collect();
        return log.refuse(
            from,
            &msg.addr,
            &format!("no such room; the rooms are {}", ids.join(", ")),
        );
    };
    let goto = match command {
        Command::Goto(index) => Some(index),
        _ => None,
    };
    match room.control.command(command).await {
        Ok(Ok(_)) => tracing::debug!("OSC from {from}: {}", crate::term::printable(&msg.addr)),
        Ok(Err(refused)) => match goto {
            Some(index) => log.refuse(from, &msg.addr, &goto_refusal(index, &refused.0)),
            None => log.refuse(from, &msg.addr, &refused.0),
        },
        Err(_) => {} // the run is ending
    }
}

/// The engine counts segments from 0 (as the HTTP API's `goto` does); OSC's `goto` counts from 1
/// (docs/osc.md), so its refusal for a segment out of range is told in OSC's numbers: `goto 42`
/// on a show of 6 is "no segment 42 … 1 to 6", not "no segment 41 … 0 to 5".
fn goto_refusal(index: usize, why: &str) -> String {
    let last = why
        .strip_prefix("there is no segment ")
        .and_then(|rest| rest.rsplit_once(" to "))
        .and_then(|(_, last)| last.parse::<usize>().ok());
    match last {
        Some(last) => format!(
            "there is no segment {}: the show has segments 1 to {}",
            index.saturating_add(1),
            last.saturating_add(1)
        ),
        None => why.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(addr: &str, args: Vec<OscType>) -> OscMessage {
        OscMessage {
            addr: addr.into(),
            args,
        }
    }

    fn lone(addr: &str, args: Vec<OscType>) -> Result<Option<Command>, String> {
        parse_message(&msg(addr, args), true).map(|p| p.command)
    }

    #[test]
    fn addresses_map_onto_commands() {
        assert_eq!(lone("/podium/start", vec![]), Ok(Some(Command::Start)));
        assert_eq!(
            lone("/podium/next", vec![1.0f32.into()]),
            Ok(Some(Command::Next))
        );
        assert_eq!(
            lone("/podium/next", vec![0.0f32.into()]),
            Ok(None),
            "a release"
        );
        assert_eq!(lone("/podium/pause", vec![false.into()]), Ok(None));
        assert_eq!(
            lone("/podium/adjust", vec![60.into()]),
            Ok(Some(Command::Adjust(60)))
        );
        assert_eq!(
            lone("/podium/adjust", vec![(-30.0f64).into()]),
            Ok(Some(Command::Adjust(-30)))
        );
        assert_eq!(
            lone("/podium/adjust", vec!["90".into()]),
            Ok(Some(Command::Adjust(90)))
        );
        assert_eq!(
            lone("/podium/goto", vec![3.into()]),
            Ok(Some(Command::Goto(2)))
        );
        assert_eq!(
            lone("/podium/preset", vec![2.into()]),
            Ok(Some(Command::Message(crate::engine::Message::preset(2))))
        );
        assert_eq!(
            lone("/podium/message", vec![" Wrap up ".into()]),
            Ok(Some(Command::Message("Wrap up".into())))
        );
        assert_eq!(
            lone("/podium/message", vec![]),
            Ok(Some(Command::Message(String::new().into())))
        );
        assert_eq!(
            lone("/podium/blackout", vec![1.into()]),
            Ok(Some(Command::Blackout(true)))
        );
        assert_eq!(
            lone("/podium/focus", vec!["off".into()]),
            Ok(Some(Command::Focus(false)))
        );
        let room = parse_message(&msg("/podium/hall-b/previous", vec![]), false).unwrap();
        assert_eq!(
            (room.room.as_deref(), room.command),
            (Some("hall-b"), Some(Command::Previous))
        );
    }

    #[test]
    fn bad_messages_are_refused_with_a_reason() {
        for (addr, args, why) in [
            ("/qlab/next", vec![], "begin with /podium/"),
            ("/podium/dance", vec![], "unknown command"),
            ("/podium/a/next", vec![], "unknown address"),
            ("/podium/adjust", vec![], "adjust takes seconds"),
            (
                "/podium/adjust",
                vec![1.5f32.into()],
                "adjust takes seconds",
            ),
            (
                "/podium/adjust",
                vec![f32::NAN.into()],
                "adjust takes seconds",
            ),
            ("/podium/goto", vec![0.into()], "from 1"),
            ("/podium/preset", vec![0.into()], "presets count from 1"),
            ("/podium/message", vec![5.into()], "one string"),
            (
                "/podium/message",
                vec!["a\u{7}b".into()],
                "control characters",
            ),
            ("/podium/message", vec!["x".repeat(281).into()], "too long"),
            ("/podium/blackout", vec![], "1 (on) or 0 (off)"),
            (
                "/podium/next",
                vec!["now".into()],
                "0 is a button's release",
            ),
            ("/podium/next", vec![1.into(), 2.into()], "one number"),
        ] {
            let err = lone(addr, args.clone()).unwrap_err();
            assert!(err.contains(why), "{addr} {args:?}: {err}");
        }
        let err = parse_message(&msg("/podium/next", vec![]), false).unwrap_err();
        assert!(err.contains("several rooms"), "{err}");
    }

    #[test]
    fn each_source_has_its_rate() {
        let mut rates = Rates::new(5);
        let t0 = Instant::now();
        let a: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let b: SocketAddr = "127.0.0.2:5000".parse().unwrap();
        assert_eq!((0..10).filter(|_| rates.take(a, t0)).count(), 5);
        assert!(rates.take(b, t0), "another address has its own");
        assert!(rates.take(a, t0 + Duration::from_millis(200)), "refilled");
    }
}
