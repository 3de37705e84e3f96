//! Property tests (proptest) of the engine's invariants through its public API, with explicit
//! instants: remaining time is continuous under pause/resume, adjustments add exactly, and the
//! schedule offset is the sum of the segments' overruns.

use std::path::Path;

use podium::engine::{Command, Engine, Phase, ShowTime};
use podium::show::{self, Show};
use proptest::prelude::*;

/// A show with these segment lengths (seconds), built through the real loader.
fn show_of(durations: &[u32]) -> Show {
    let mut toml = String::from("title = \"Property show\"\ntimezone = \"UTC\"\nwarn = \"1s\"\n");
    for (i, d) in durations.iter().enumerate() {
        toml.push_str(&format!(
            "[[segment]]\ntitle = \"Segment {i}\"\nduration = \"{d}s\"\n"
        ));
    }
    show::load_str(Path::new("props.toml"), &toml).expect("a generated show loads")
}

fn durations() -> impl Strategy<Value = Vec<u32>> {
    prop::collection::vec(2u32..=7200, 1..8)
}

fn apply(engine: &mut Engine, cmd: Command, at: i64) {
    engine
        .apply(cmd.clone(), ShowTime(at))
        .unwrap_or_else(|e| panic!("{cmd:?} at {at}: {e}"));
}

proptest! {
    /// Pausing and resuming never makes remaining time jump, and what is left at the end is the
    /// length less exactly the time spent running.
    #[test]
    fn remaining_is_continuous_under_pause_and_resume(
        duration in 2u32..=7200,
        start in -1_000_000i64..1_000_000,
        gaps in prop::collection::vec(0i64..600_000, 1..40),
    ) {
        let show = show_of(&[duration]);
        let mut engine = Engine::new(&show);
        apply(&mut engine, Command::Start, start);
        let mut now = start;
        let mut running = true;
        let mut ran = 0i64;
        for gap in gaps {
            let before = engine.snapshot(ShowTime(now + gap)).remaining_ms;
            if running {
                ran += gap;
            }
            now += gap;
            apply(&mut engine, Command::Toggle, now);
            running = !running;
            let after = engine.snapshot(ShowTime(now));
            prop_assert_eq!(after.remaining_ms, before, "a toggle at {} moved the countdown", now);
            prop_assert_eq!(after.phase == Phase::Paused, !running);
        }
        prop_assert_eq!(
            engine.snapshot(ShowTime(now)).remaining_ms,
            i64::from(duration) * 1000 - ran
        );
    }

    /// Every accepted adjustment moves remaining time and the segment's length by exactly its
    /// amount, whether the segment waits, runs or is paused.
    #[test]
    fn adjustments_add_exactly(
        duration in 2u32..=7200,
        steps in prop::collection::vec((0u8..3, -3600i64..3600, 0i64..100_000), 1..30),
    ) {
        let show = show_of(&[duration]);
        let mut engine = Engine::new(&show);
        let mut now = 0i64;
        let mut total = 0i64;
        for (mode, seconds, gap) in steps {
            now += gap;
            // Move between ready, running and paused as the step asks.
            let phase = engine.snapshot(ShowTime(now)).phase;
            match (mode, phase) {
                (1, Phase::Ready | Phase::Paused) => apply(&mut engine, Command::Start, now),
                (2, p) if p.is_running() => apply(&mut engine, Command::Pause, now),
                _ => {}
            }
            let before = engine.snapshot(ShowTime(now));
            apply(&mut engine, Command::Adjust(seconds), now);
            total += seconds * 1000;
            let after = engine.snapshot(ShowTime(now));
            prop_assert_eq!(after.remaining_ms - before.remaining_ms, seconds * 1000);
            prop_assert_eq!(after.length_ms - before.length_ms, seconds * 1000);
            prop_assert_eq!(after.length_ms, i64::from(duration) * 1000 + total);
        }
    }

    /// Moving through the show, the schedule offset just after entering a segment is the sum of
    /// the finished segments' actual minus planned lengths, and the projected end adds the rest
    /// of the plan to the current segment's projected end.
    #[test]
    fn the_schedule_offset_sums_the_segments(
        plan in durations(),
        spent in prop::collection::vec(0i64..10_000_000, 8),
        origin in -1_000_000i64..1_000_000,
    ) {
        let show = show_of(&plan);
        let planned: Vec<i64> = plan.iter().map(|d| i64::from(*d) * 1000).collect();
        let mut engine = Engine::new(&show);
        apply(&mut engine, Command::Start, origin);
        let mut now = origin;
        let mut overrun = 0i64;
        for (k, took) in spent.iter().take(plan.len()).enumerate() {
            now += took;
            let s = engine.snapshot(ShowTime(now));
            let ends = now + s.remaining_ms.max(0);
            prop_assert_eq!(
                s.schedule_offset_ms,
                overrun + (ends - (now - took)) - planned[k],
                "in segment {}", k
            );
            prop_assert_eq!(
                s.projected_end,
                Some(ShowTime(ends + planned[k + 1..].iter().sum::<i64>()))
            );
            apply(&mut engine, Command::Next, now);
            overrun += took - planned[k];
            let after = engine.snapshot(ShowTime(now));
            prop_assert_eq!(after.schedule_offset_ms, overrun, "after leaving segment {}", k);
        }
        let end = engine.snapshot(ShowTime(now));
        prop_assert_eq!(end.phase, Phase::Finished);
        prop_assert_eq!(end.schedule_offset_ms, (now - origin) - planned.iter().sum::<i64>());
    }
}
