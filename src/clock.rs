//! The only module that reads time. Show time is monotonic real time since the session's origin,
//! multiplied by the speed factor (`--speed 60`: a minute of show per real second). Unix
//! milliseconds are derived from one wall-clock reading taken at the origin, so a deadline maps to
//! the same Unix instant for the whole run however often it is converted.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::engine::{ShowTime, Target};
use crate::show::Show;

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
        Clock {
            origin_show_ms: 0.0,
            ..Clock::resume(speed, unix_now_ms())
        }
    }

    /// A clock continuing a session whose show time was zero at Unix ms `unix_at_zero_ms`: the
    /// time the process was down counts as show time (measured on the wall clock, the only clock
    /// that survives a restart). `speed` is validated before it gets here: by the CLI for a new
    /// run, by `journal::read` for a resumed one (a damaged journal is refused with its line).
    pub fn resume(speed: f64, unix_at_zero_ms: f64) -> Clock {
        assert!(
            speed.is_finite() && speed > 0.0,
            "speed validated by the CLI and journal::read"
        );
        Clock {
            origin: Instant::now(),
            origin_show_ms: ((unix_now_ms() - unix_at_zero_ms) * speed).max(0.0),
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

    fn show_time_at(&self, at: Instant) -> ShowTime {
        let real_ms = at.saturating_duration_since(self.origin).as_nanos() as f64 / 1e6;
        // The epsilon absorbs float rounding so that `instant_of` round-trips exactly.
        ShowTime((self.origin_show_ms + real_ms * self.speed + 1e-6).floor() as i64)
    }

    /// The real instant at which show time reaches `t` (rounded up, so that `now()` at that
    /// instant is never before `t`).
    pub fn instant_of(&self, t: ShowTime) -> Instant {
        let real_ns = ((t.0 as f64 - self.origin_show_ms) * 1e6 / self.speed).ceil();
        self.origin + Duration::from_nanos(real_ns.max(0.0) as u64)
    }

    /// Unix milliseconds (on this machine's wall clock) at show time `t`.
    pub fn unix_ms(&self, t: ShowTime) -> i64 {
        (self.unix_at_zero_ms + t.0 as f64 / self.speed).round() as i64
    }

    /// The show time at Unix milliseconds `unix_ms` (the inverse of [`Clock::unix_ms`]).
    pub fn show_time_of_unix(&self, unix_ms: i64) -> ShowTime {
        ShowTime(((unix_ms as f64 - self.unix_at_zero_ms) * self.speed).round() as i64)
    }

    /// When `show` must end, in show time. For the live show (speed 1, not a `rehearsal`, at most
    /// two hours before its planned start, the slot's end still ahead) it is the wall-clock end;
    /// otherwise — a rehearsal, a replay on another day — the slot's length counted from whenever
    /// the show starts. A time-of-day `end` without a `start` is taken on today's date in the
    /// show's zone.
    pub fn target_for(&self, show: &Show, rehearsal: bool) -> Option<Target> {
        show.end?;
        let now = chrono::DateTime::from_timestamp_millis(unix_now_ms() as i64)?;
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

/// A client's view of its own time (`podium follow`): Unix milliseconds read from the monotonic
/// clock, anchored to the wall clock once, so a system time change cannot make a countdown jump.
#[derive(Debug, Clone, Copy)]
pub struct LocalClock {
    origin: Instant,
    unix_at_origin_ms: f64,
}

impl LocalClock {
    pub fn new() -> LocalClock {
        LocalClock {
            origin: Instant::now(),
            unix_at_origin_ms: unix_now_ms(),
        }
    }

    /// Now, in Unix milliseconds (fractional).
    pub fn now_ms(&self) -> f64 {
        self.unix_at_origin_ms + self.origin.elapsed().as_nanos() as f64 / 1e6
    }

    /// The monotonic instant `ms` milliseconds from now (now when `ms` is not positive).
    pub fn instant_in(&self, ms: f64) -> Instant {
        Instant::now() + Duration::from_nanos((ms.max(0.0) * 1e6).ceil() as u64)
    }
}

impl Default for LocalClock {
    fn default() -> LocalClock {
        LocalClock::new()
    }
}

/// Wall-clock Unix milliseconds, with sub-millisecond precision.
pub fn unix_now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn a_resumed_clock_counts_the_downtime() {
        for speed in [1.0, 60.0] {
            // Show time zero was 40 s ago on the wall clock. Bracket the reading by wall-clock
            // readings so a slow machine cannot make the test flaky.
            let zero = unix_now_ms() - 40_000.0;
            let c = Clock::resume(speed, zero);
            let t = c.now().0 as f64;
            let after = unix_now_ms();
            assert!(t >= 40_000.0 * speed - 1.0, "speed {speed}: {t}");
            assert!(t <= (after - zero) * speed + 1.0, "speed {speed}: {t}");
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

    fn slot_show(start: Option<chrono::DateTime<chrono::Utc>>, end: crate::show::End) -> Show {
        let mut show = crate::show::load_str(
            std::path::Path::new("t.toml"),
            "timezone = \"UTC\"\n[[segment]]\ntitle = \"A\"\nduration = \"1h\"\n",
        )
        .expect("valid");
        show.start = start;
        show.end = Some(end);
        show
    }

    #[test]
    fn the_live_show_aims_at_the_wall_clock_and_a_rehearsal_at_the_slot_length() {
        use crate::show::End;
        let now = chrono::Utc::now();
        let hour = chrono::Duration::hours(1);
        let live = slot_show(Some(now), End::At(now + hour));
        let c = Clock::new(1.0);
        match c.target_for(&live, false) {
            Some(Target::At(at)) => assert!((at.0 - 3_600_000).abs() < 1_000, "{at:?}"),
            other => panic!("{other:?}"),
        }
        let slot = Some(Target::AfterStart(3_600_000));
        assert_eq!(c.target_for(&live, true), slot, "--rehearsal");
        assert_eq!(Clock::new(60.0).target_for(&live, false), slot, "--speed");
        let last_year = slot_show(
            Some(now - chrono::Duration::days(365)),
            End::At(now - chrono::Duration::days(365) + hour),
        );
        assert_eq!(c.target_for(&last_year, false), slot, "another day");
        let tomorrow = slot_show(
            Some(now + chrono::Duration::days(1)),
            End::At(now + chrono::Duration::days(1) + hour),
        );
        assert_eq!(c.target_for(&tomorrow, false), slot, "a run the day before");
        let no_start = slot_show(None, End::At(now - hour));
        assert_eq!(
            c.target_for(&no_start, false),
            None,
            "past end, no start: no slot"
        );
    }
}
