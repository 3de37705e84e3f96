//! OSC out: a room's phase and remaining time, sent to every `--osc-send` address when what a
//! screen shows changes, and all of it again once a second (UDP loses packets, and a desk
//! started late must hear the state).
//!
//! What is sent is what the speaker's screen shows: the controller's published snapshot through
//! the display rules ([`Countdown`]) at the run's [`Clock`](crate::clock::Clock)'s now, waking
//! when the digits or the phase next change (`next_change_in_ms`). Messages, under the room's
//! prefix (`/podium`, or `/podium/<room>` with several rooms; docs/osc.md):
//!
//! - `…/phase s` (`running`, `warning`, `over-max`, …), and on a change only the trigger
//!   `…/phase/<phase>` (no argument) that a desk's cue can be fired by;
//! - `…/remaining i` (whole seconds as shown: `300` at `5:00`, `0`, `-80` at `+1:20`),
//!   `…/remaining/text s` (`4:59`, `+1:20`), `…/words s` (`2 minutes left`, `Over by 1:20`);
//! - `…/segment i s` (its number from 1, its title), `…/message s`, `…/offset i` (seconds behind
//!   the plan, negative ahead).
//!
//! **Invariant:** a send that fails is logged (rationed) and forgotten; the show never waits on a
//! receiver.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use podium_core::display::Countdown;
use rosc::{OscMessage, OscPacket, OscType};
use tokio::net::UdpSocket;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::controller::Handle;
use crate::engine::ShowTime;

/// Everything is sent again this often, changed or not.
const REFRESH: Duration = Duration::from_secs(1);
/// A failing receiver is logged at most this often.
const FAILURE_LOG_EVERY: Duration = Duration::from_secs(30);

/// The remaining time as the digits show it, in signed whole seconds: `ceil` while time remains,
/// `0` for the second at `0:00`, then minus the seconds over (`+1:20` is `-80`).
pub fn remaining_seconds(remaining_ms: f64) -> i64 {
    if remaining_ms > 0.0 {
        (remaining_ms / 1000.0).ceil() as i64
    } else if remaining_ms > -1000.0 {
        0
    } else {
        -((-remaining_ms / 1000.0).floor() as i64)
    }
}

/// The sockets to every `--osc-send` address (one each, bound to the address's family).
#[derive(Clone)]
pub(super) struct Sender {
    targets: Arc<Vec<(UdpSocket, SocketAddr)>>,
}

impl Sender {
    pub(super) async fn open(targets: &[SocketAddr]) -> std::io::Result<Sender> {
        let mut sockets = Vec::new();
        for &target in targets {
            let local = if target.is_ipv4() {
                "0.0.0.0:0"
            } else {
                "[::]:0"
            };
            sockets.push((UdpSocket::bind(local).await?, target));
        }
        Ok(Sender {
            targets: Arc::new(sockets),
        })
    }
}

/// One frame of what a screen shows, as sent.
#[derive(Debug, Clone, PartialEq)]
struct Frame {
    phase: &'static str,
    remaining: i64,
    text: String,
    words: String,
    segment: i32,
    title: String,
    message: String,
    offset: i64,
}

impl Frame {
    /// The messages for this frame: all of them when `all`, else those that changed since
    /// `last`; the phase's trigger only when the phase changed.
    fn messages(&self, prefix: &str, last: Option<&Frame>, all: bool) -> Vec<OscMessage> {
        let msg = |path: &str, args: Vec<OscType>| OscMessage {
            addr: format!("{prefix}/{path}"),
            args,
        };
        // A value goes out when everything does, or when it differs from the last frame's.
        let send = |same: fn(&Frame, &Frame) -> bool| all || last.is_none_or(|l| !same(l, self));
        let mut out = Vec::new();
        let phase_changed = last.is_none_or(|l| l.phase != self.phase);
        if phase_changed {
            out.push(msg(&format!("phase/{}", self.phase), vec![]));
        }
        if all || phase_changed {
            out.push(msg("phase", vec![self.phase.into()]));
        }
        if send(|a, b| a.remaining == b.remaining) {
            out.push(msg("remaining", vec![OscType::Long(self.remaining)]));
        }
        if send(|a, b| a.text == b.text) {
            out.push(msg("remaining/text", vec![self.text.clone().into()]));
        }
        if send(|a, b| a.words == b.words) {
            out.push(msg("words", vec![self.words.clone().into()]));
        }
        if send(|a, b| a.segment == b.segment && a.title == b.title) {
            out.push(msg(
                "segment",
                vec![self.segment.into(), self.title.clone().into()],
            ));
        }
        if send(|a, b| a.message == b.message) {
            out.push(msg("message", vec![self.message.clone().into()]));
        }
        if send(|a, b| a.offset == b.offset) {
            out.push(msg("offset", vec![OscType::Long(self.offset)]));
        }
        out
    }
}

/// Sends `control`'s state under `prefix` until `shutdown`; see the module's doc.
pub(super) async fn run(
    sender: Sender,
    prefix: String,
    control: Handle,
    shutdown: CancellationToken,
) {
    let clock = *control.clock();
    let mut states = control.subscribe();
    // The first frame is sent at once (below); the refresh follows a second later, and a late
    // one is not made up for in a burst.
    let mut refresh = tokio::time::interval_at(Instant::now() + REFRESH, REFRESH);
    refresh.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last: Option<Frame> = None;
    let mut all = true;
    let mut failed_at: Option<Instant> = None;
    loop {
        let now = clock.now();
        let published = states.borrow_and_update().clone();
        let snap = &published.snapshot;
        // Asked every time: the moderator may edit the show while it runs.
        let show = published.show.clone();
        let segment = &show.segments[snap.index.min(show.segments.len() - 1)];
        // Show time throughout, as the console: the snapshot's deadline and `now` are both on it.
        let shown = Countdown::of(snap, segment).at(now.0 as f64);
        let frame = Frame {
            phase: shown.phase.as_str(),
            remaining: remaining_seconds(shown.remaining_ms),
            text: shown.digits.clone(),
            words: shown.words.clone(),
            segment: i32::try_from(snap.index + 1).unwrap_or(i32::MAX),
            title: segment.title.clone(),
            message: snap.message.clone(),
            offset: (snap.schedule_offset_at(now) as f64 / 1000.0).round() as i64,
        };
        for msg in frame.messages(&prefix, last.as_ref(), all) {
            let Ok(bytes) = rosc::encoder::encode(&OscPacket::Message(msg)) else {
                continue;
            };
            for (socket, target) in sender.targets.iter() {
                if let Err(e) = socket.send_to(&bytes, target).await
                    && failed_at.is_none_or(|at| at.elapsed() >= FAILURE_LOG_EVERY)
                {
                    failed_at = Some(Instant::now());
                    tracing::warn!("cannot send OSC to {target}: {e} (the show goes on)");
                }
            }
        }
        last = Some(frame);
        // The next change of the digits or phase, in show ms from `now`, as a real instant.
        let change = shown
            .next_change_in_ms
            .map(|ms| clock.instant_of(ShowTime(now.0 + ms.ceil() as i64)));
        tokio::select! {
            _ = shutdown.cancelled() => return,
            changed = states.changed() => {
                if changed.is_err() {
                    return;
                }
                all = false;
            }
            _ = refresh.tick() => all = true,
            _ = sleep_until(change) => all = false,
        }
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use podium_core::display;

    #[test]
    fn remaining_seconds_follow_the_digits() {
        for (ms, secs, digits) in [
            (300_000.0, 300, "5:00"),
            (299_001.0, 300, "5:00"),
            (1.0, 1, "0:01"),
            (0.0, 0, "0:00"),
            (-999.0, 0, "0:00"),
            (-1000.0, -1, "+0:01"),
            (-80_500.0, -80, "+1:20"),
        ] {
            assert_eq!(remaining_seconds(ms), secs, "{ms}");
            assert_eq!(display::digits(ms), digits, "{ms}");
        }
    }

    fn frame() -> Frame {
        Frame {
            phase: "running",
            remaining: 300,
            text: "5:00".into(),
            words: String::new(),
            segment: 1,
            title: "Opening".into(),
            message: String::new(),
            offset: 0,
        }
    }

    fn addrs(msgs: &[OscMessage]) -> Vec<&str> {
        msgs.iter().map(|m| m.addr.as_str()).collect()
    }

    #[test]
    fn changes_only_then_everything_once_a_second() {
        let first = frame();
        assert_eq!(
            addrs(&first.messages("/podium", None, true)),
            [
                "/podium/phase/running",
                "/podium/phase",
                "/podium/remaining",
                "/podium/remaining/text",
                "/podium/words",
                "/podium/segment",
                "/podium/message",
                "/podium/offset"
            ]
        );
        let tick = Frame {
            remaining: 299,
            text: "4:59".into(),
            ..frame()
        };
        assert_eq!(
            addrs(&tick.messages("/podium/a", Some(&first), false)),
            ["/podium/a/remaining", "/podium/a/remaining/text"]
        );
        let refresh = tick.messages("/podium", Some(&tick), true);
        assert!(
            !addrs(&refresh).contains(&"/podium/phase/running"),
            "no trigger again"
        );
        assert_eq!(refresh.len(), 7);
        let warned = Frame {
            phase: "warning",
            ..tick.clone()
        };
        assert_eq!(
            addrs(&warned.messages("/podium", Some(&tick), false)),
            ["/podium/phase/warning", "/podium/phase"]
        );
    }
}
