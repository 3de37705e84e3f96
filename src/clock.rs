//! The only module that reads time. Show time is monotonic real time since the session's origin,
//! multiplied by the speed factor (`--speed 60`: a minute of show per real second). Unix
//! milliseconds are derived from one wall-clock reading taken at the origin, so a deadline maps to
//! the same Unix instant for the whole run however often it is converted.
//!
//! **Invariant: one time base on the wire.** Every timestamp a screen sees (`server_time_ms`,
//! `ends_at_ms`, pongs, presence) and every journal stamp comes from the run's [`Clock`]; the
//! [`WallClock`] is read once, when the clock is made. A wall-clock step during a show (NTP, a
//! laptop waking) therefore moves neither the deadlines nor the screens' estimate of the server's
//! clock, and every countdown keeps its second. The monotonic side is tokio's `Instant`, so under
//! tokio's paused clock (tests) show time advances exactly as far as the test advances it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

use crate::engine::{AutoStart, Schedule, ShowTime, Target};
use crate::show::Show;

/// Where the one wall-clock reading of a [`Clock`] comes from: the system's ([`SystemWall`]) in a
/// run, a stepped one in tests.
pub trait WallClock {
    /// Now, in Unix milliseconds (fractional).
    fn unix_now_ms(&self) -> f64;
}

/// The machine's wall clock (`SystemTime`).
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemWall;

impl WallClock for SystemWall {
    fn unix_now_ms(&self) -> f64 {
        unix_now_ms()
    }
}

/// Converts between real monotonic time, show time and Unix milliseconds.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    /// A monotonic instant and the show time it corresponds to.
    origin: Instant,
    origin_show_ms: f64,
    /// Unix milliseconds at show time zero.
    unix_at_zero_ms: f64,
    speed: f64,
}

impl Clock {
    /// A clock whose show time starts at zero now. `speed` must be finite and positive.
    pub fn new(speed: f64) -> Clock {
        Clock::new_on(&SystemWall, speed)
    }

    /// [`Clock::new`] anchored on `wall`, read once, now.
    pub fn new_on(wall: &dyn WallClock, speed: f64) -> Clock {
        let origin = Instant::now();
        Clock::anchored(speed, origin, 0.0, wall.unix_now_ms())
    }

    /// A clock continuing a session whose show time was zero at Unix ms `unix_at_zero_ms`: the
    /// time the process was down counts as show time (measured on the wall clock, the only clock
    /// that survives a restart). `speed` is validated before it gets here: by the CLI for a new
    /// run, by `journal::read` for a resumed one (a damaged journal is refused with its line).
    pub fn resume(speed: f64, unix_at_zero_ms: f64) -> Clock {
        Clock::resume_on(&SystemWall, speed, unix_at_zero_ms)
    }

    /// [`Clock::resume`] measuring the downtime on `wall`, read once, now.
    pub fn resume_on(wall: &dyn WallClock, speed: f64, unix_at_zero_ms: f64) -> Clock {
        let origin = Instant::now();
        let origin_show_ms = ((wall.unix_now_ms() - unix_at_zero_ms) * speed).max(0.0);
        Clock::anchored(speed, origin, origin_show_ms, unix_at_zero_ms)
    }

    fn anchored(speed: f64, origin: Instant, origin_show_ms: f64, unix_at_zero_ms: f64) -> Clock {
        assert!(
            speed.is_finite() && speed > 0.0,
            "speed validated by the CLI and journal::read"
        );
        Clock {
            origin,
            origin_show_ms,
            unix_at_zero_ms,
            speed,
        }
    }

    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// Unix milliseconds at show time zero.
    pub fn unix_at_zero_ms(&self) -> f64 {
        self.unix_at_zero_ms
    }

    /// The current show time (rounded down to the millisecond).
    pub fn now(&self) -> ShowTime {
        self.show_time_at(Instant::now())
    }

    /// Now on this clock in Unix milliseconds, with sub-millisecond precision: what a pong carries
    /// (the same time base as `server_time_ms` and `ends_at_ms`, never the raw wall clock).
    pub fn now_unix_ms(&self) -> f64 {
        self.unix_at_zero_ms + self.origin_show_ms / self.speed + self.real_ms_at(Instant::now())
    }

    fn real_ms_at(&self, at: Instant) -> f64 {
        at.saturating_duration_since(self.origin).as_nanos() as f64 / 1e6
    }

    fn show_time_at(&self, at: Instant) -> ShowTime {
        let real_ms = self.real_ms_at(at);
        // The epsilon absorbs float rounding so that `instant_of` round-trips exactly.
        ShowTime((self.origin_show_ms + real_ms * self.speed + 1e-6).floor() as i64)
    }

    /// The real instant at which show time reaches `t` (rounded up, so that `now()` at that
    /// instant is never before `t`).
    pub fn instant_of(&self, t: ShowTime) -> Instant {
        let real_ns = ((t.0 as f64 - self.origin_show_ms) * 1e6 / self.speed).ceil();
        self.origin + Duration::from_nanos(real_ns.max(0.0) as u64)
    }

    /// Unix milliseconds (on this clock's time base) at show time `t`.
    pub fn unix_ms(&self, t: ShowTime) -> i64 {
        (self.unix_at_zero_ms + t.0 as f64 / self.speed).round() as i64
    }

    /// The show time at Unix milliseconds `unix_ms` (the inverse of [`Clock::unix_ms`]).
    pub fn show_time_of_unix(&self, unix_ms: i64) -> ShowTime {
        ShowTime(((unix_ms as f64 - self.unix_at_zero_ms) * self.speed).round() as i64)
    }

    /// When `show` must end, in show time, decided at `now_ms` (Unix ms on this clock: pass
    /// `clock.unix_ms(clock.now())`; nothing is read here). For the live show (speed 1, not a
    /// `rehearsal`, at most two hours before its planned start, the slot's end still ahead) it is
    /// the wall-clock end; otherwise — a rehearsal, a replay on another day — the slot's length
    /// counted from whenever the show starts. A time-of-day `end` without a `start` is taken on
    /// the date of `now_ms` in the show's zone.
    pub fn target_for(&self, show: &Show, rehearsal: bool, now_ms: i64) -> Option<Target> {
        show.end?;
        let now = chrono::DateTime::from_timestamp_millis(now_ms)?;
        let end = show.end_for(show.start.or(Some(now)))?;
        let ahead = end - now;
        // A run more than two hours before the planned start is a rehearsal, not the show.
        let on_the_day = show
            .start
            .is_none_or(|start| start - now < chrono::Duration::hours(2));
        if self.speed == 1.0 && !rehearsal && on_the_day && ahead > chrono::Duration::zero() {
            return Some(Target::At(self.show_time_of_unix(end.timestamp_millis())));
        }
        let slot = end - show.start?;
        Some(Target::AfterStart(slot.num_milliseconds()))
    }
}

impl Clock {
    /// The session's wall-clock times as show time on this clock, decided at `now_ms` (Unix ms
    /// on this clock; nothing is read here): the planned start, for the late-start alarm, and the
    /// auto-starts (the show's at its `start`, each segment's at its `at` on the start's day, or
    /// today without a start). None for a `rehearsal`, nor for a start more than two hours ago
    /// (another day's show: a replay, a seed session), which is neither late nor due.
    pub fn schedule(&self, show: &Show, rehearsal: bool, now_ms: i64) -> Schedule {
        let Some(now) = chrono::DateTime::from_timestamp_millis(now_ms) else {
            return Schedule::default();
        };
        if rehearsal {
            return Schedule::default();
        }
        let show_time =
            |at: chrono::DateTime<chrono::Utc>| self.show_time_of_unix(at.timestamp_millis());
        let start = show
            .start
            .filter(|start| now - *start < chrono::Duration::hours(2));
        let mut auto_starts: Vec<AutoStart> = start
            .filter(|_| show.auto_start)
            .map(|start| AutoStart {
                index: 0,
                at: show_time(start),
            })
            .into_iter()
            .collect();
        let day = show.start.unwrap_or(now);
        for (index, segment) in show.segments.iter().enumerate() {
            if let Some(time) = segment.at.filter(|_| segment.auto_start) {
                let at = show.anchor_for(day, time);
                if at > now {
                    auto_starts.push(AutoStart {
                        index,
                        at: show_time(at),
                    });
                }
            }
        }
        Schedule {
            planned_start: start.map(show_time),
            auto_starts,
        }
    }
}

/// A client's view of its own time (`podium follow`): Unix milliseconds read from the monotonic
/// clock, anchored to the wall clock once, so a system time change cannot make a countdown jump.
#[derive(Debug, Clone, Copy)]
pub struct LocalClock {
    origin: std::time::Instant,
    unix_at_origin_ms: f64,
}

impl LocalClock {
    pub fn new() -> LocalClock {
        LocalClock {
            origin: std::time::Instant::now(),
            unix_at_origin_ms: unix_now_ms(),
        }
    }

    /// Now, in Unix milliseconds (fractional).
    pub fn now_ms(&self) -> f64 {
        self.unix_at_origin_ms + self.origin.elapsed().as_nanos() as f64 / 1e6
    }

    /// The monotonic instant `ms` milliseconds from now (now when `ms` is not positive).
    pub fn instant_in(&self, ms: f64) -> std::time::Instant {
        std::time::Instant::now() + Duration::from_nanos((ms.max(0.0) * 1e6).ceil() as u64)
    }
}

impl Default for LocalClock {
    fn default() -> LocalClock {
        LocalClock::new()
    }
}

/// The machine's wall clock: Unix milliseconds, with sub-millisecond precision. It is read to
/// anchor a clock ([`SystemWall`], [`LocalClock`]), never to stamp what the server sends: that
/// comes from the run's [`Clock`].
pub fn unix_now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::show::End;
    use chrono::{DateTime, TimeZone, Utc};

    /// A wall clock that reads `self.0` Unix ms.
    struct Fixed(f64);

    impl WallClock for Fixed {
        fn unix_now_ms(&self) -> f64 {
            self.0
        }
    }

    #[test]
    fn instant_of_round_trips_without_landing_early() {
        for speed in [1.0, 9.6, 60.0, 1000.0] {
            let c = Clock::new(speed);
            for ms in [0, 1, 999, 123_457, 3 * 3_600_000 + 7] {
                let at = c.instant_of(ShowTime(ms));
                assert!(c.show_time_at(at).0 >= ms, "speed {speed} ms {ms}");
                assert!(c.show_time_at(at).0 <= ms + 1, "speed {speed} ms {ms}");
            }
        }
    }

    /// Under tokio's paused clock nothing moves until the test says so: exact figures.
    #[tokio::test(start_paused = true)]
    async fn a_resumed_clock_counts_the_downtime() {
        for speed in [1.0, 60.0] {
            // Show time zero was 40 s before the wall clock's reading.
            let c = Clock::resume_on(&Fixed(1_000_040_000.0), speed, 1_000_000_000.0);
            assert_eq!(
                c.now(),
                ShowTime((40_000.0 * speed) as i64),
                "speed {speed}"
            );
            assert_eq!(c.now_unix_ms(), 1_000_040_000.0, "speed {speed}");
            tokio::time::advance(Duration::from_millis(1_500)).await;
            assert_eq!(
                c.now(),
                ShowTime((41_500.0 * speed) as i64),
                "speed {speed}"
            );
            assert_eq!(c.now_unix_ms(), 1_000_041_500.0, "speed {speed}");
            assert_eq!(c.unix_ms(c.now()), 1_000_041_500, "speed {speed}");
            let at = c.instant_of(ShowTime(3_000_000));
            assert!(c.show_time_at(at).0 >= 3_000_000);
            assert!(c.show_time_at(at).0 <= 3_000_001);
        }
    }

    #[test]
    fn unix_ms_is_stable_and_scaled() {
        let c = Clock::new(60.0);
        let a = c.unix_ms(ShowTime(60_000));
        assert_eq!(a - c.unix_ms(ShowTime(0)), 1000);
        assert_eq!(a, c.unix_ms(ShowTime(60_000)));
    }

    /// The clock reads the wall once: a wall that steps afterwards moves nothing.
    #[tokio::test(start_paused = true)]
    async fn a_wall_clock_step_after_the_origin_moves_nothing() {
        struct Stepping(std::sync::atomic::AtomicU64);
        impl WallClock for Stepping {
            fn unix_now_ms(&self) -> f64 {
                self.0.load(std::sync::atomic::Ordering::SeqCst) as f64
            }
        }
        let wall = Stepping(1_000_000_000.into());
        let c = Clock::new_on(&wall, 1.0);
        tokio::time::advance(Duration::from_secs(10)).await;
        wall.0
            .store(1_000_100_000, std::sync::atomic::Ordering::SeqCst);
        assert_eq!(c.now_unix_ms(), 1_000_010_000.0);
        assert_eq!(c.unix_ms(c.now()), 1_000_010_000);
    }

    fn slot_show(start: Option<DateTime<Utc>>, end: End) -> Show {
        let mut show = crate::show::load_str(
            std::path::Path::new("t.toml"),
            "timezone = \"UTC\"\n[[segment]]\ntitle = \"A\"\nduration = \"1h\"\n",
        )
        .expect("valid");
        show.start = start;
        show.end = Some(end);
        show
    }

    fn utc(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 10, h, m, 0).unwrap()
    }

    /// The live-or-rehearsal decision at explicit instants, for a show planned 14:00–15:00 UTC.
    #[test]
    fn the_target_is_decided_at_the_instant_given() {
        let show = slot_show(Some(utc(14, 0)), End::At(utc(15, 0)));
        // The clock's time base starts at noon: the end is 3 h of show time after its zero.
        let c = Clock::new_on(&Fixed(utc(12, 0).timestamp_millis() as f64), 1.0);
        let live = Some(Target::At(ShowTime(3 * 3_600_000)));
        let slot = Some(Target::AfterStart(3_600_000));
        let at = |t: DateTime<Utc>| t.timestamp_millis();
        let cases = [
            (
                utc(11, 59),
                slot,
                "more than two hours before the start: a rehearsal",
            ),
            (
                utc(12, 0),
                slot,
                "exactly two hours before the start: still a rehearsal",
            ),
            (
                utc(12, 1),
                live,
                "less than two hours before the start: on the day",
            ),
            (utc(13, 30), live, "before the start"),
            (utc(14, 0), live, "at the start"),
            (utc(14, 40), live, "during the slot"),
            (utc(15, 0), slot, "at the slot's end: nothing ahead"),
            (utc(16, 0), slot, "after the slot's end"),
        ];
        for (now, expected, why) in cases {
            assert_eq!(c.target_for(&show, false, at(now)), expected, "{why}");
            assert_eq!(
                c.target_for(&show, true, at(now)),
                slot,
                "--rehearsal, {why}"
            );
        }
        let fast = Clock::new_on(&Fixed(utc(12, 0).timestamp_millis() as f64), 60.0);
        assert_eq!(
            fast.target_for(&show, false, at(utc(14, 0))),
            slot,
            "--speed"
        );
        let another_day = at(utc(14, 0) + chrono::Duration::days(1));
        assert_eq!(c.target_for(&show, false, another_day), slot, "a day late");
        let the_day_before = at(utc(14, 0) - chrono::Duration::days(1));
        assert_eq!(
            c.target_for(&show, false, the_day_before),
            slot,
            "a day early"
        );
        // No end: no target at all.
        let mut open = show.clone();
        open.end = None;
        assert_eq!(c.target_for(&open, false, at(utc(14, 0))), None);
    }

    /// Without a `start`, a time-of-day end is taken on the date of the instant given.
    #[test]
    fn a_time_of_day_end_without_a_start_is_taken_on_the_day_given() {
        let fifteen = chrono::NaiveTime::from_hms_opt(15, 0, 0).unwrap();
        let show = slot_show(None, End::TimeOfDay(fifteen));
        let c = Clock::new_on(&Fixed(utc(12, 0).timestamp_millis() as f64), 1.0);
        assert_eq!(
            c.target_for(&show, false, utc(14, 0).timestamp_millis()),
            Some(Target::At(ShowTime(3 * 3_600_000))),
            "today at 15:00, an hour ahead"
        );
        // Past the end and no start to measure a slot from: no target.
        assert_eq!(
            c.target_for(&show, false, utc(16, 0).timestamp_millis()),
            None
        );
        assert_eq!(
            c.target_for(&show, true, utc(14, 0).timestamp_millis()),
            None
        );
        let past = slot_show(None, End::At(utc(13, 0)));
        assert_eq!(
            c.target_for(&past, false, utc(14, 0).timestamp_millis()),
            None
        );
    }
}
