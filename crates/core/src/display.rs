//! The countdown's display rules (docs/protocol.md, "Display rules"), written once for every Rust
//! view: the moderator's terminal, `podium follow` and the report. `web/display.js` is their twin
//! for the pages; both are tested against the same table of cases, `tests/cases/display.json`, so
//! a rule changed in one language fails the other's tests.
//!
//! - Digits: `ceil` seconds while time remains (`5:00` at the start), `0:00` for exactly one
//!   second, then `+0:01` counting up; `h:mm:ss` from one hour on.
//! - The phase at an instant is derived from the digits while the countdown moves, so a colour
//!   flips on the same frame as the text; a segment that ends at zero holds there.
//! - The next change is when the digits or the phase next change (never a free-running beat).
//! - Lengths and offsets are rounded to the nearest second, halves up (`1.5 s behind` reads
//!   `0:02 behind`, ahead or behind alike).
//! - The speaker page's progress bar is the share of the segment's current length used, clamped
//!   to `0..=1` (full in overtime, held while paused), with the warning zone marked; its "ends at"
//!   is the deadline to the nearest minute, only while the segment runs with time left.
//!
//! Pure: plain numbers in, text out. A [`Countdown`] is built from the engine's [`Snapshot`]
//! ([`Countdown::of`], in show time) or from the wire state (in the server's Unix ms, by the
//! client); instants are plain `f64` milliseconds on that one clock, as in the browser.

use crate::engine::{Phase, Snapshot};
use crate::show::{OnEnd, Segment};

/// What a view needs of a state to show its countdown. `ends_at_ms` and the instants given to
/// the methods are on one clock (the server's Unix ms on the wire, show time in the engine);
/// `speed` turns that clock's milliseconds into show milliseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Countdown {
    /// The phase as the state says it (believed as is unless the countdown moves).
    pub phase: Phase,
    /// Remaining show time as of the state, negative in overtime: shown as is unless ticking.
    pub remaining_ms: f64,
    /// When the running segment reaches zero; `None` unless it runs.
    pub ends_at_ms: Option<f64>,
    pub speed: f64,
    /// The segment's current length (after `fit` and the moderator's adjustments).
    pub duration_ms: f64,
    /// The hard limit as a length comparable with `duration_ms` (it moves with adjustments).
    pub max_ms: Option<f64>,
    pub warn_ms: Option<f64>,
    pub on_end: OnEnd,
}

/// What a screen shows of a countdown at one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct Shown {
    /// Remaining show time at that instant (held at zero by a segment that ends there).
    pub remaining_ms: f64,
    /// `5:00`, `0:00`, `+1:20`. A view may put a word in their place (`Finished`).
    pub digits: String,
    pub phase: Phase,
    /// The phase in words ([`phase_words`]).
    pub words: String,
    /// Real ms until the digits or the phase next change; `None` when nothing changes before the
    /// next state. A timer should round it up: timers fire early on a fraction.
    pub next_change_in_ms: Option<f64>,
}

impl Countdown {
    /// The countdown of an engine snapshot, in show time (speed 1): give it show-time instants.
    /// The same figures the wire state carries (docs/protocol.md).
    pub fn of(snap: &Snapshot, segment: &Segment) -> Countdown {
        let ms = |d: std::time::Duration| d.as_millis() as f64;
        let adjusted_ms = (snap.length_ms - snap.planned_ms) as f64;
        Countdown {
            phase: snap.phase,
            remaining_ms: snap.remaining_ms as f64,
            ends_at_ms: snap.deadline.map(|d| d.0 as f64),
            speed: 1.0,
            duration_ms: snap.length_ms as f64,
            max_ms: segment.max.map(|max| ms(max) + adjusted_ms),
            warn_ms: Some(ms(segment.warn)),
            on_end: segment.on_end,
        }
    }

    /// True while the countdown moves on its own (the digits change without a new state).
    pub fn is_ticking(&self) -> bool {
        self.phase.is_running() && self.ends_at_ms.is_some()
    }

    /// True when the segment ends at zero (`stop` or `next`) instead of counting up.
    fn ends_at_zero(&self) -> bool {
        self.on_end != OnEnd::Overtime
    }

    /// Remaining show time at `now_ms`: from `ends_at_ms` while ticking, else as sent. A segment
    /// that ends at zero never goes below it (the next state says what follows).
    pub fn remaining_at(&self, now_ms: f64) -> f64 {
        match self.ends_at_ms {
            Some(ends_at) if self.is_ticking() => {
                let r = (ends_at - now_ms) * self.speed;
                if self.ends_at_zero() { r.max(0.0) } else { r }
            }
            _ => self.remaining_ms,
        }
    }

    /// Remaining time at which the segment passes its hard limit, if it has one.
    fn over_max_at(&self) -> Option<f64> {
        self.max_ms.map(|max| self.duration_ms - max)
    }

    /// The phase to show for `remaining_ms`. While ticking it is derived here, with thresholds
    /// crossed when reached (like the digits): warning at `warn_ms`, overtime as `0:00` appears,
    /// over-max at the hard limit; a state that already says over-max is believed. A segment held
    /// at zero is `stopped` (`on_end` stop) or still `warning` (`next`, until the next state).
    pub fn phase_at(&self, remaining_ms: f64) -> Phase {
        if !self.is_ticking() {
            return self.phase;
        }
        if self.ends_at_zero() && remaining_ms <= 0.0 {
            return match self.on_end {
                OnEnd::Stop => Phase::Stopped,
                _ => Phase::Warning,
            };
        }
        if self.phase == Phase::OverMax || self.over_max_at().is_some_and(|l| remaining_ms <= l) {
            Phase::OverMax
        } else if remaining_ms <= 0.0 {
            Phase::Overtime
        } else if self.warn_ms.is_some_and(|warn| remaining_ms <= warn) {
            Phase::Warning
        } else {
            Phase::Running
        }
    }

    /// Real ms from `now_ms` until the digits or the phase next change (on the boundary itself);
    /// `None` when nothing changes before the next state.
    pub fn next_change_in(&self, now_ms: f64) -> Option<f64> {
        if !self.is_ticking() {
            return None;
        }
        let r = self.remaining_at(now_ms);
        if self.ends_at_zero() && r <= 0.0 {
            return None; // the stop or the hand-over comes with the next state
        }
        // The digits change whenever r reaches a multiple of 1000 (see `digits`).
        let mut next = 1000.0 * ((r / 1000.0).ceil() - 1.0);
        for threshold in [self.warn_ms, Some(0.0), self.over_max_at()]
            .into_iter()
            .flatten()
        {
            if threshold < r && threshold > next {
                next = threshold;
            }
        }
        Some((r - next) / self.speed)
    }

    /// Everything shown at `now_ms`.
    pub fn at(&self, now_ms: f64) -> Shown {
        let remaining_ms = self.remaining_at(now_ms);
        let phase = self.phase_at(remaining_ms);
        let past_limit = self
            .over_max_at()
            .is_some_and(|limit| remaining_ms <= limit);
        let words = match phase_words(phase, remaining_ms) {
            // A pause past the limit keeps saying so, as it did while running (issue 14).
            words if phase == Phase::Paused && past_limit && remaining_ms <= -1000.0 => {
                words.replacen("Paused — ", "Paused — past the limit · ", 1)
            }
            words => words,
        };
        Shown {
            remaining_ms,
            digits: digits(remaining_ms),
            phase,
            words,
            next_change_in_ms: self.next_change_in(now_ms),
        }
    }
}

/// The speaker page's progress bar at one instant ([`Countdown::progress_at`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// The share of the segment's current length used, `0..=1` (full once no time is left).
    pub elapsed: f64,
    /// Where the warning zone starts, as a share of the length (`1`: no zone).
    pub warn_from: Option<f64>,
    /// No time is left (zero, overtime, past the limit, stopped).
    pub over: bool,
}

impl Countdown {
    /// The progress bar at `now_ms`: time used against the segment's current length (the
    /// moderator's adjustments included), clamped to `0..=1`, so it holds while paused and stays
    /// full in overtime. `None` when the show is finished or the length is not positive.
    pub fn progress_at(&self, now_ms: f64) -> Option<Progress> {
        if self.phase == Phase::Finished || self.duration_ms <= 0.0 {
            return None;
        }
        let share = |used: f64| (used / self.duration_ms).clamp(0.0, 1.0);
        let remaining = self.remaining_at(now_ms);
        Some(Progress {
            elapsed: share(self.duration_ms - remaining),
            warn_from: self.warn_ms.map(|warn| share(self.duration_ms - warn)),
            over: remaining <= 0.0,
        })
    }

    /// When the running segment reaches zero, to the nearest minute (halves up), on the clock of
    /// `ends_at_ms` (the wire's: the server's Unix ms): "ends at 15:40". `None` unless the
    /// countdown moves with time left: a paused or waiting segment has no fixed end, and past
    /// zero the digits say how far over it is.
    pub fn ends_at(&self, now_ms: f64) -> Option<f64> {
        let ends_at = self.ends_at_ms.filter(|_| self.is_ticking())?;
        (self.remaining_at(now_ms) > 0.0).then(|| (ends_at / 60_000.0).round() * 60_000.0)
    }
}

/// The phase named as on the wire (`over-max`), or `None` for a name this build does not know.
pub fn parse_phase(name: &str) -> Option<Phase> {
    [
        Phase::Ready,
        Phase::Paused,
        Phase::Running,
        Phase::Warning,
        Phase::Overtime,
        Phase::OverMax,
        Phase::Stopped,
        Phase::Finished,
    ]
    .into_iter()
    .find(|p| p.as_str() == name)
}

/// Whole seconds as `m:ss`, or `h:mm:ss` from one hour on.
pub fn clock(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// The countdown digits for `remaining_ms` of show time: `ceil` seconds while time remains,
/// `0:00` for `-1000 < r <= 0`, then `+0:01`, `+0:02`, … (`floor` seconds over).
pub fn digits(remaining_ms: f64) -> String {
    if remaining_ms > 0.0 {
        clock((remaining_ms / 1000.0).ceil() as u64)
    } else if remaining_ms > -1000.0 {
        "0:00".into()
    } else {
        format!("+{}", clock((-remaining_ms / 1000.0).floor() as u64))
    }
}

/// The size of `ms` in whole seconds, rounded to the nearest, halves up (`1500` → 2, `-1500` →
/// 2): how every length and offset is said to people.
pub fn whole_seconds(ms: f64) -> u64 {
    (ms.abs() / 1000.0).round() as u64
}

/// A length as `m:ss` / `h:mm:ss`, to the nearest second; a negative one is `0:00`.
pub fn duration(ms: f64) -> String {
    clock(whole_seconds(ms.max(0.0)))
}

/// The schedule offset in words: `0:02 behind` (positive), `1:05 ahead`, `on time` (under half a
/// second either way).
pub fn offset_words(offset_ms: f64) -> String {
    match whole_seconds(offset_ms) {
        0 => "on time".into(),
        s if offset_ms > 0.0 => format!("{} behind", clock(s)),
        s => format!("{} ahead", clock(s)),
    }
}

/// The slack against the session's end: `ends 2:00 early` (positive), `ends 3:20 late`,
/// `ends on time`.
pub fn slack_words(slack_ms: f64) -> String {
    match whole_seconds(slack_ms) {
        0 => "ends on time".into(),
        s if slack_ms > 0.0 => format!("ends {} early", clock(s)),
        s => format!("ends {} late", clock(s)),
    }
}

/// "2 minutes", "1 minute".
fn minutes(n: u64) -> String {
    if n == 1 {
        "1 minute".into()
    } else {
        format!("{n} minutes")
    }
}

/// The phase in words, for a speaker who cannot tell the colours apart: `2 minutes left`,
/// `Time's up`, `Over by 1:20`, `Paused — over by 1:20` (a pause in overtime keeps saying how
/// far over; at `0:00`, `Paused — time's up`). Running needs none (only the digits); finished
/// says it in place of the digits. A pause past the hard limit says so too, which needs the
/// segment's limit: [`Countdown::at`].
pub fn phase_words(phase: Phase, remaining_ms: f64) -> String {
    let over = || digits(remaining_ms).trim_start_matches('+').to_owned();
    match phase {
        Phase::Ready => "Ready".into(),
        Phase::Paused if remaining_ms <= -1000.0 => format!("Paused — over by {}", over()),
        Phase::Paused if remaining_ms <= 0.0 => "Paused — time's up".into(),
        Phase::Paused => "Paused".into(),
        Phase::Warning => {
            let seconds = (remaining_ms / 1000.0).ceil();
            if seconds >= 60.0 {
                format!("{} left", minutes((seconds / 60.0).floor() as u64))
            } else if seconds > 0.0 {
                "Less than a minute left".into()
            } else {
                "Time's up".into()
            }
        }
        Phase::Overtime if remaining_ms > -1000.0 => "Time's up".into(),
        Phase::Overtime => format!("Over by {}", over()),
        Phase::OverMax => format!("Past the limit · over by {}", over()),
        Phase::Stopped => "Time's up".into(),
        Phase::Running | Phase::Finished => String::new(),
    }
}

#[cfg(test)]
mod tests;
