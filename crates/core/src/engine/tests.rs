//! Engine scripts: `[(t, command)] → expected` with explicit instants, no runtime.

use std::time::Duration;

use super::*;
use crate::show::fixtures::{show_of, talk};
use crate::show::{Kind, OnEnd, Segment, Show};

const S: i64 = 1000;
const M: i64 = 60 * S;

fn seg(title: &str, minutes: u64, max: Option<u64>, warn_s: u64) -> Segment {
    Segment {
        max: max.map(|m| Duration::from_secs(m * 60)),
        warn: Duration::from_secs(warn_s),
        ..talk(title, minutes)
    }
}

/// Intro 8', talk 20' (max 25'), talk 15', Q&A 30'.
fn show() -> Show {
    show_of(vec![
        seg("Intro", 8, None, 60),
        seg("Talk A", 20, Some(25), 120),
        seg("Talk B", 15, None, 120),
        seg("Q&A", 30, None, 300),
    ])
}

fn t(ms: i64) -> ShowTime {
    ShowTime(ms)
}

/// Runs `script` on a fresh engine and returns it with every event seen.
fn run(script: &[(i64, Command)]) -> (Engine, Vec<Event>) {
    let mut e = Engine::new(&show());
    let mut events = Vec::new();
    for (at, cmd) in script {
        events.extend(
            e.apply(cmd.clone(), t(*at))
                .expect("script command applies"),
        );
    }
    (e, events)
}

#[test]
fn ready_before_start() {
    let e = Engine::new(&show());
    let s = e.snapshot(t(0));
    assert_eq!((s.phase, s.index, s.remaining_ms), (Phase::Ready, 0, 8 * M));
    assert_eq!(s.deadline, None);
    assert_eq!(s.schedule_offset_ms, 0);
    assert_eq!(s.projected_end, None);
}

#[test]
fn phases_follow_remaining_time() {
    let (e, _) = run(&[(1_000, Command::Start)]);
    let at = |ms| e.snapshot(t(1_000 + ms));
    assert_eq!(at(0).phase, Phase::Running);
    assert_eq!(at(0).remaining_ms, 8 * M);
    assert_eq!(at(0).deadline, Some(t(1_000 + 8 * M)));
    assert_eq!(at(7 * M - 1).phase, Phase::Running);
    assert_eq!(at(7 * M).phase, Phase::Warning, "remaining == warn warns");
    assert_eq!(at(8 * M).phase, Phase::Warning, "zero is not yet overtime");
    assert_eq!(at(8 * M + 1).phase, Phase::Overtime);
    assert_eq!(at(8 * M + 1).remaining_ms, -1);
    assert_eq!(
        at(60 * M).phase,
        Phase::Overtime,
        "no max: overtime forever"
    );
}

#[test]
fn over_max_after_the_hard_limit() {
    let (e, _) = run(&[(0, Command::Goto(1)), (0, Command::Start)]);
    assert_eq!(e.snapshot(t(25 * M)).phase, Phase::Overtime);
    assert_eq!(e.snapshot(t(25 * M + 1)).phase, Phase::OverMax);
}

#[test]
fn tick_announces_each_stage_once_in_order() {
    let mut e = Engine::new(&show());
    e.apply(Command::Goto(1), t(0)).unwrap();
    assert_eq!(
        e.apply(Command::Start, t(0)).unwrap(),
        vec![Event::Started { index: 1 }]
    );
    assert_eq!(e.tick(t(17 * M)), vec![]);
    assert_eq!(e.tick(t(18 * M)), vec![Event::Warning { index: 1 }]);
    assert_eq!(e.tick(t(19 * M)), vec![]);
    assert_eq!(e.tick(t(20 * M + 1)), vec![Event::Overtime { index: 1 }]);
    assert_eq!(e.tick(t(26 * M)), vec![Event::OverMax { index: 1 }]);
    assert_eq!(e.tick(t(27 * M)), vec![]);
}

#[test]
fn a_late_tick_reports_every_stage_it_skipped() {
    let mut e = Engine::new(&show());
    e.apply(Command::Start, t(0)).unwrap();
    assert_eq!(
        e.tick(t(9 * M)),
        vec![Event::Warning { index: 0 }, Event::Overtime { index: 0 }]
    );
}

#[test]
fn next_change_is_the_exact_instant_of_each_stage() {
    let mut e = Engine::new(&show());
    e.apply(Command::Goto(1), t(0)).unwrap();
    e.apply(Command::Start, t(0)).unwrap();
    let mut now = t(0);
    let mut phases = vec![];
    while let Some(at) = e.next_change(now) {
        assert_ne!(e.snapshot(at).phase, e.snapshot(t(at.0 - 1)).phase);
        phases.push(e.snapshot(at).phase);
        now = at;
    }
    assert_eq!(
        phases,
        vec![Phase::Warning, Phase::Overtime, Phase::OverMax]
    );
    assert_eq!(e.next_change(t(0)), Some(t(18 * M)));
}

#[test]
fn pause_keeps_the_remaining_time_exactly() {
    let (e, _) = run(&[
        (0, Command::Start),
        (90 * S, Command::Pause),
        (10 * M, Command::Resume),
    ]);
    let s = e.snapshot(t(10 * M));
    assert_eq!(s.remaining_ms, 8 * M - 90 * S);
    assert_eq!(s.phase, Phase::Running);
    // Pausing does not stop the show's clock: the show is now behind by the pause.
    assert_eq!(s.schedule_offset_ms, 10 * M - 90 * S);
}

#[test]
fn paused_snapshot_does_not_move() {
    let (e, _) = run(&[(0, Command::Start), (30 * S, Command::Pause)]);
    let a = e.snapshot(t(31 * S));
    let b = e.snapshot(t(5 * M));
    assert_eq!((a.phase, a.remaining_ms), (Phase::Paused, 8 * M - 30 * S));
    assert_eq!(a.remaining_ms, b.remaining_ms);
    assert_eq!(b.deadline, None);
}

#[test]
fn adjust_adds_and_takes_exactly() {
    let (e, _) = run(&[
        (0, Command::Start),
        (M, Command::Adjust(60)),
        (2 * M, Command::Adjust(-90)),
    ]);
    let s = e.snapshot(t(3 * M));
    assert_eq!(s.remaining_ms, 8 * M + 60 * S - 90 * S - 3 * M);
    assert_eq!(s.length_ms, 8 * M - 30 * S);
}

#[test]
fn adjust_works_paused_and_ready() {
    let (e, _) = run(&[(0, Command::Adjust(120))]);
    assert_eq!(e.snapshot(t(M)).remaining_ms, 10 * M);
    let (e, _) = run(&[
        (0, Command::Start),
        (M, Command::Pause),
        (M, Command::Adjust(-30)),
    ]);
    assert_eq!(e.snapshot(t(9 * M)).remaining_ms, 7 * M - 30 * S);
}

#[test]
fn adjust_into_overtime_and_back() {
    let mut e = Engine::new(&show());
    e.apply(Command::Start, t(0)).unwrap();
    let ev = e.apply(Command::Adjust(-8 * 60), t(M)).unwrap();
    assert_eq!(
        ev,
        vec![Event::Warning { index: 0 }, Event::Overtime { index: 0 }]
    );
    assert_eq!(e.snapshot(t(M)).remaining_ms, -M);
    e.apply(Command::Adjust(5 * 60), t(M)).unwrap();
    assert_eq!(e.snapshot(t(M)).phase, Phase::Running);
}

#[test]
fn next_keeps_running_and_records_the_end() {
    let (e, events) = run(&[(0, Command::Start), (9 * M, Command::Next)]);
    let s = e.snapshot(t(9 * M));
    assert_eq!(
        (s.phase, s.index, s.remaining_ms),
        (Phase::Running, 1, 20 * M)
    );
    assert!(events.contains(&Event::Ended {
        index: 0,
        overrun_ms: M
    }));
    assert_eq!(e.records()[0].ended, Some(t(9 * M)));
    assert_eq!(e.records()[1].started, Some(t(9 * M)));
    // One minute over in the intro: a minute behind.
    assert_eq!(s.schedule_offset_ms, M);
}

#[test]
fn next_while_paused_waits_paused() {
    let (e, _) = run(&[
        (0, Command::Start),
        (M, Command::Pause),
        (2 * M, Command::Next),
    ]);
    let s = e.snapshot(t(3 * M));
    assert_eq!(
        (s.phase, s.index, s.remaining_ms),
        (Phase::Paused, 1, 20 * M)
    );
}

#[test]
fn goto_and_previous_before_the_start_stay_ready() {
    let (e, _) = run(&[(0, Command::Goto(3)), (0, Command::Previous)]);
    let s = e.snapshot(t(0));
    assert_eq!((s.phase, s.index), (Phase::Ready, 2));
    assert_eq!(s.show_started, None);
}

#[test]
fn refusals_change_nothing() {
    let mut e = Engine::new(&show());
    let before = e.snapshot(t(0));
    assert!(e.apply(Command::Pause, t(0)).is_err());
    assert!(e.apply(Command::Previous, t(0)).is_err());
    assert!(e.apply(Command::Goto(4), t(0)).is_err());
    assert!(e.apply(Command::Adjust(i64::MAX), t(0)).is_err());
    assert_eq!(e.snapshot(t(0)), before);
    e.apply(Command::Start, t(0)).unwrap();
    assert_eq!(
        e.apply(Command::Start, t(1)),
        Err(Refused("already running".into()))
    );
}

#[test]
fn next_on_the_last_segment_finishes_the_show() {
    let (mut e, events) = run(&[
        (0, Command::Goto(3)),
        (0, Command::Start),
        (31 * M, Command::Next),
    ]);
    assert_eq!(events.last(), Some(&Event::Finished));
    let s = e.snapshot(t(40 * M));
    assert_eq!(s.phase, Phase::Finished);
    assert_eq!(s.remaining_ms, 0);
    assert!(e.apply(Command::Start, t(40 * M)).is_err());
    assert!(e.apply(Command::Next, t(40 * M)).is_err());
    e.apply(Command::Previous, t(40 * M)).unwrap();
    assert_eq!(e.snapshot(t(40 * M)).phase, Phase::Paused);
}

#[test]
fn toggle_starts_pauses_and_resumes() {
    let (e, _) = run(&[(0, Command::Toggle), (M, Command::Toggle)]);
    assert_eq!(e.snapshot(t(2 * M)).phase, Phase::Paused);
    let (e, _) = run(&[
        (0, Command::Toggle),
        (M, Command::Toggle),
        (2 * M, Command::Toggle),
    ]);
    assert_eq!(e.snapshot(t(2 * M)).phase, Phase::Running);
    assert_eq!(e.snapshot(t(2 * M)).remaining_ms, 7 * M);
}

#[test]
fn message_is_set_and_cleared_and_reset_clears_all() {
    let (e, _) = run(&[(0, Command::Message("Wrap up".into()))]);
    assert_eq!(e.snapshot(t(0)).message, "Wrap up");
    let (e, _) = run(&[
        (0, Command::Message("Wrap up".into())),
        (0, Command::Message(String::new().into())),
    ]);
    assert_eq!(e.snapshot(t(0)).message, "");
    let (e, _) = run(&[
        (0, Command::Start),
        (M, Command::Message("x".into())),
        (2 * M, Command::Next),
        (3 * M, Command::Reset),
    ]);
    assert_eq!(
        e.snapshot(t(4 * M)),
        Engine::new(&show()).snapshot(t(4 * M))
    );
}

#[test]
fn schedule_offset_tracks_the_whole_show() {
    // Intro 1' short, talk A 2' long: net 1' behind during talk B.
    let (e, _) = run(&[
        (0, Command::Start),
        (7 * M, Command::Next),
        (7 * M + 22 * M, Command::Next),
    ]);
    let s = e.snapshot(t(29 * M + 5 * M));
    assert_eq!(s.index, 2);
    assert_eq!(s.schedule_offset_ms, M);
    // Projected end: planned 73' plus one minute behind.
    assert_eq!(s.projected_end, Some(t(74 * M)));
    // Running into overtime makes it later, second by second.
    let late = e.snapshot(t(29 * M + 17 * M));
    assert_eq!(late.schedule_offset_ms, 3 * M);
}

/// A three-hour show driven by irregular ticks, pauses and commands: remaining time at every
/// check equals the arithmetic truth to the millisecond (no drift).
#[test]
fn three_hour_show_has_zero_drift() {
    let long = Show {
        segments: (0..12)
            .map(|i| seg(&format!("s{i}"), 15, Some(20), 120))
            .collect(),
        ..show()
    };
    let mut e = Engine::new(&long);
    e.apply(Command::Start, t(0)).unwrap();
    let mut now = 0i64;
    let mut segment_start = 0i64;
    let mut paused_total = 0i64;
    // Ticks at awkward intervals (prime-ish ms), as a real timer would deliver them late.
    let mut step = 997i64;
    for i in 0..12 {
        let end = |paused: i64| segment_start + 15 * M + 7 * S + paused;
        while now + step < end(paused_total) {
            now += step;
            step = 997 + (now % 13);
            e.tick(t(now));
            let expect = (segment_start + 15 * M + paused_total) - now;
            assert_eq!(
                e.snapshot(t(now)).remaining_ms,
                expect,
                "segment {i} at {now}"
            );
            if i == 5 && paused_total == 0 && now - segment_start > 5 * M {
                e.apply(Command::Pause, t(now)).unwrap();
                e.apply(Command::Resume, t(now + 42_123)).unwrap();
                paused_total = 42_123;
                now += 42_123;
            }
        }
        now = end(paused_total);
        e.apply(Command::Next, t(now)).unwrap();
        segment_start = now;
        paused_total = 0;
    }
    let s = e.snapshot(t(now));
    assert_eq!(s.phase, Phase::Finished);
    // 12 segments, each 7 s over, plus one 42.123 s pause: exactly that far behind.
    assert_eq!(s.schedule_offset_ms, 12 * 7 * S + 42_123);
    assert!(now > 3 * 60 * M);
}

#[test]
fn schedule_offset_extrapolates_like_a_fresh_snapshot() {
    for script in [
        vec![(0, Command::Start)],
        vec![(0, Command::Start), (M, Command::Pause)],
        vec![(0, Command::Start), (9 * M, Command::Next)],
    ] {
        let (e, _) = run(&script);
        let old = e.snapshot(t(2 * M));
        for later in [2 * M, 7 * M, 8 * M + 1, 12 * M, 30 * M] {
            assert_eq!(
                old.schedule_offset_at(t(later)),
                e.snapshot(t(later)).schedule_offset_ms,
                "{script:?} at {later}"
            );
        }
    }
}

// ---- Live re-plan (issue 4) -----------------------------------------------------------------

fn flex(title: &str, kind: Kind, minutes: u64, min: u64) -> Segment {
    Segment {
        kind,
        min: Some(Duration::from_secs(min * 60)),
        ..seg(title, minutes, None, 60)
    }
}

/// Intro 8' (min 5), Talk A 20' (min 15), Talk B 15' (min 12), Q&A 30' (min 10), Closing 8' (min 5):
/// 81 minutes planned, 57 at the least.
fn slot_show() -> Show {
    Show {
        segments: vec![
            flex("Intro", Kind::Intro, 8, 5),
            flex("Talk A", Kind::Talk, 20, 15),
            flex("Talk B", Kind::Talk, 15, 12),
            flex("Q&A", Kind::Qa, 30, 10),
            flex("Closing", Kind::Closing, 8, 5),
        ],
        ..show()
    }
}

fn slot_engine(target: Target) -> Engine {
    Engine::new(&slot_show()).with_target(Some(target))
}

fn fitted(events: &[Event]) -> (Vec<Change>, i64) {
    match events.iter().find(|e| matches!(e, Event::Fitted { .. })) {
        Some(Event::Fitted { changes, short_ms }) => (changes.clone(), *short_ms),
        _ => panic!("no Fitted event in {events:?}"),
    }
}

/// Every segment's current length respects its `min`.
fn assert_mins_respected(e: &Engine, now: ShowTime) {
    for (i, (planned, seg)) in e.replan(now).iter().zip(&slot_show().segments).enumerate() {
        assert!(
            planned.length_ms >= ms(seg.shortest()),
            "segment {i}: {} < min {}",
            planned.length_ms,
            ms(seg.shortest())
        );
    }
}

#[test]
fn slack_is_known_before_the_start_and_while_running() {
    let mut e = slot_engine(Target::AfterStart(90 * M));
    assert_eq!(e.snapshot(t(0)).slack_ms, Some(9 * M));
    e.apply(Command::Start, t(0)).unwrap();
    // Intro runs 4 minutes long: 5 minutes to spare at 12'.
    assert_eq!(e.snapshot(t(12 * M)).slack_ms, Some(5 * M));
    assert_eq!(e.snapshot(t(12 * M)).target_end, Some(t(90 * M)));
}

#[test]
fn fit_on_a_late_show_lands_on_the_end_taking_from_q_and_a_first() {
    let mut e = slot_engine(Target::AfterStart(81 * M));
    let script = [
        (0, Command::Start),
        (12 * M, Command::Next), // intro 4' long
        (39 * M, Command::Next), // talk A 7' long: 11' behind
    ];
    for (at, cmd) in script {
        e.apply(cmd, t(at)).unwrap();
    }
    let now = t(40 * M);
    assert_eq!(e.snapshot(now).slack_ms, Some(-11 * M));
    let events = e.apply(Command::Fit, now).unwrap();
    let (changes, short) = fitted(&events);
    assert_eq!(
        changes,
        [Change {
            index: 3,
            from_ms: 30 * M,
            to_ms: 19 * M
        }]
    );
    assert_eq!(short, 0);
    let s = e.snapshot(now);
    assert_eq!(s.projected_end, Some(t(81 * M)));
    assert_eq!(s.slack_ms, Some(0));
    assert_eq!(
        s.schedule_offset_ms,
        11 * M,
        "still behind the original plan"
    );
    assert_mins_respected(&e, now);
    // The re-planned times of the rest: Q&A at 54', closing at 73'.
    let replan = e.replan(now);
    assert_eq!(replan[3].start, Some(t(54 * M)));
    assert_eq!(replan[4].start, Some(t(73 * M)));

    // Running the rest to plan ends exactly on the slot; the speaker sees the new length.
    e.apply(Command::Next, t(54 * M)).unwrap();
    assert_eq!(e.snapshot(t(54 * M)).length_ms, 19 * M);
    e.apply(Command::Next, t(73 * M)).unwrap();
    e.apply(Command::Next, t(81 * M)).unwrap();
    assert_eq!(e.snapshot(t(81 * M)).phase, Phase::Finished);
    assert_eq!(e.snapshot(t(81 * M)).slack_ms, Some(0));
}

#[test]
fn fit_on_a_very_late_show_uses_every_min_and_says_how_late_it_stays() {
    let mut e = slot_engine(Target::At(t(81 * M)));
    e.apply(Command::Start, t(0)).unwrap();
    e.apply(Command::Next, t(12 * M)).unwrap();
    e.apply(Command::Next, t(55 * M)).unwrap(); // talk A ran 43': 27' behind
    let events = e.apply(Command::Fit, t(55 * M)).unwrap();
    let (changes, short) = fitted(&events);
    let lengths: Vec<(usize, i64)> = changes.iter().map(|c| (c.index, c.to_ms)).collect();
    assert_eq!(lengths, [(2, 12 * M), (3, 10 * M), (4, 5 * M)]);
    assert_eq!(short, M, "26' of flex for 27' late");
    assert_eq!(e.snapshot(t(55 * M)).slack_ms, Some(-M));
    assert_mins_respected(&e, t(55 * M));
    // The running segment's deadline moved with it.
    assert_eq!(e.snapshot(t(55 * M)).deadline, Some(t(67 * M)));
    // A second fit has nothing left to take.
    let again = e.apply(Command::Fit, t(56 * M)).unwrap_err();
    assert!(again.0.contains("nothing left to shorten"), "{again}");
}

#[test]
fn fit_never_takes_time_already_spoken() {
    let mut e = slot_engine(Target::AfterStart(81 * M));
    e.apply(Command::Start, t(0)).unwrap();
    e.apply(Command::Next, t(12 * M)).unwrap();
    e.apply(Command::Next, t(39 * M)).unwrap();
    e.apply(Command::Next, t(54 * M)).unwrap();
    e.apply(Command::Next, t(84 * M)).unwrap(); // Q&A ran to plan; closing from 84' (11' late)
    // Closing 8' with min 5': only 3' can go; 1' of it already spoken leaves 7' remaining.
    let events = e.apply(Command::Fit, t(85 * M)).unwrap();
    let (changes, short) = fitted(&events);
    assert_eq!(changes[0].to_ms, 5 * M);
    assert_eq!(short, 8 * M);
    assert_eq!(e.snapshot(t(85 * M)).remaining_ms, 4 * M);
}

#[test]
fn fit_before_the_start_trims_the_plan_and_reset_restores_it() {
    let mut e = slot_engine(Target::AfterStart(75 * M));
    let events = e.apply(Command::Fit, t(0)).unwrap();
    assert_eq!(
        fitted(&events).0,
        [Change {
            index: 3,
            from_ms: 30 * M,
            to_ms: 24 * M
        }]
    );
    assert_eq!(e.snapshot(t(0)).slack_ms, Some(0));
    e.apply(Command::Reset, t(0)).unwrap();
    assert_eq!(e.snapshot(t(0)).slack_ms, Some(-6 * M));
}

#[test]
fn fit_refuses_without_an_end_or_when_the_show_already_fits() {
    let mut plain = Engine::new(&slot_show());
    let why = plain.apply(Command::Fit, t(0)).unwrap_err();
    assert!(why.0.contains("no `end`"), "{why}");
    let mut early = slot_engine(Target::AfterStart(90 * M));
    let why = early.apply(Command::Fit, t(0)).unwrap_err();
    assert!(why.0.contains("already fits (9:00 to spare)"), "{why}");
}

#[test]
fn fit_rounds_to_whole_seconds_and_never_lands_late() {
    let mut e = slot_engine(Target::AfterStart(81 * M));
    e.apply(Command::Start, t(0)).unwrap();
    e.apply(Command::Next, t(8 * M + 1_500)).unwrap(); // 1.5 s late
    e.apply(Command::Fit, t(8 * M + 1_500)).unwrap();
    let s = e.snapshot(t(8 * M + 1_500));
    assert_eq!(s.slack_ms, Some(500));
    assert_eq!(e.replan(t(8 * M + 1_500))[3].length_ms, 30 * M - 2_000);
}

// ---- End actions (issue 7) ---------------------------------------------------------------------

/// The test show with the given end action on every segment.
fn show_ending(on_end: OnEnd) -> Show {
    let mut show = show();
    for s in &mut show.segments {
        s.on_end = on_end;
    }
    show
}

#[test]
fn stop_freezes_at_zero_and_ends_the_segment_at_the_deadline() {
    let mut e = Engine::new(&show_ending(OnEnd::Stop));
    e.apply(Command::Start, t(0)).unwrap();
    assert_eq!(e.next_change(t(0)), Some(t(7 * M)), "warning first");
    assert_eq!(
        e.next_change(t(7 * M)),
        Some(t(8 * M)),
        "then the stop, at zero"
    );
    assert_eq!(e.snapshot(t(8 * M - 1)).phase, Phase::Warning);
    // A late tick (3 s after the deadline) still ends the segment at the deadline.
    assert_eq!(
        e.tick(t(8 * M + 3 * S)),
        vec![
            Event::Warning { index: 0 },
            Event::Stopped { index: 0 },
            Event::Ended {
                index: 0,
                overrun_ms: 0
            }
        ]
    );
    let s = e.snapshot(t(10 * M));
    assert_eq!((s.phase, s.index, s.remaining_ms), (Phase::Stopped, 0, 0));
    assert_eq!(s.deadline, None);
    assert_eq!(e.records()[0].ended, Some(t(8 * M)));
    assert_eq!(e.next_change(t(10 * M)), None);
    // Waiting after the stop puts the show behind, minute by minute.
    assert_eq!(s.schedule_offset_ms, 2 * M);
    assert_eq!(e.snapshot(t(8 * M)).schedule_offset_at(t(10 * M)), 2 * M);
    assert_eq!(e.tick(t(11 * M)), vec![], "the stop is reported once");
}

#[test]
fn a_snapshot_past_the_deadline_shows_the_stop_before_any_tick() {
    let mut e = Engine::new(&show_ending(OnEnd::Stop));
    e.apply(Command::Start, t(0)).unwrap();
    let s = e.snapshot(t(9 * M));
    assert_eq!((s.phase, s.remaining_ms), (Phase::Stopped, 0));
    let mut ticked = e.clone();
    ticked.tick(t(9 * M));
    assert_eq!(ticked.snapshot(t(9 * M)), s);
}

#[test]
fn the_moderator_overrides_a_stop_by_hand() {
    let mut e = Engine::new(&show_ending(OnEnd::Stop));
    e.apply(Command::Start, t(0)).unwrap();
    e.tick(t(8 * M));
    for refused in [
        Command::Start,
        Command::Toggle,
        Command::Pause,
        Command::Adjust(-60),
    ] {
        assert!(e.apply(refused.clone(), t(9 * M)).is_err(), "{refused:?}");
    }
    // One more minute: the clock runs again from 1:00 and stops again at zero.
    e.apply(Command::Adjust(60), t(9 * M)).unwrap();
    let s = e.snapshot(t(9 * M));
    assert_eq!((s.phase, s.remaining_ms), (Phase::Warning, M));
    assert_eq!(e.records()[0].ended, None);
    assert_eq!(e.snapshot(t(10 * M)).phase, Phase::Stopped);
    assert_eq!(
        e.tick(t(10 * M)),
        vec![
            Event::Stopped { index: 0 },
            Event::Ended {
                index: 0,
                overrun_ms: 2 * M
            }
        ],
        "ended again: 8' + 1' stopped + 1' given"
    );
    // Next waits: the following segment is paused at its full length until started.
    let events = e.apply(Command::Next, t(11 * M)).unwrap();
    assert!(
        events.iter().all(|ev| !matches!(ev, Event::Ended { .. })),
        "the end was recorded at the stop, not now: {events:?}"
    );
    assert_eq!(e.records()[0].ended, Some(t(10 * M)));
    let s = e.snapshot(t(11 * M));
    assert_eq!(
        (s.phase, s.index, s.remaining_ms),
        (Phase::Paused, 1, 20 * M)
    );
    e.apply(Command::Start, t(12 * M)).unwrap();
    assert_eq!(e.records()[1].started, Some(t(12 * M)));
}

#[test]
fn next_on_the_last_segment_after_a_stop_finishes_the_show() {
    let (mut e, _) = run(&[(0, Command::Goto(3))]);
    e = Engine {
        plan: Engine::new(&show_ending(OnEnd::Stop)).plan,
        ..e
    };
    e.apply(Command::Start, t(0)).unwrap();
    let events = e.apply(Command::Next, t(31 * M)).unwrap();
    assert_eq!(events.last(), Some(&Event::Finished));
    assert_eq!(e.snapshot(t(31 * M)).phase, Phase::Finished);
    assert_eq!(e.records()[3].ended, Some(t(30 * M)));
}

#[test]
fn next_hands_over_exactly_at_the_deadline() {
    let mut e = Engine::new(&show_ending(OnEnd::Next));
    e.apply(Command::Start, t(0)).unwrap();
    assert_eq!(e.next_change(t(7 * M)), Some(t(8 * M)));
    // The tick comes 2.5 s late: the talk started at 8:00 all the same.
    let events = e.tick(t(8 * M + 2_500));
    assert_eq!(
        events,
        vec![
            Event::Warning { index: 0 },
            Event::Ended {
                index: 0,
                overrun_ms: 0
            },
            Event::Started { index: 1 },
        ]
    );
    let s = e.snapshot(t(8 * M + 2_500));
    assert_eq!(s.index, 1);
    assert_eq!(s.phase, Phase::Running);
    assert_eq!(
        s.deadline,
        Some(t(28 * M)),
        "previous deadline + 20 minutes"
    );
    assert_eq!(s.remaining_ms, 20 * M - 2_500);
    assert_eq!(s.schedule_offset_ms, 0, "no time lost");
    assert_eq!(e.records()[0].ended, Some(t(8 * M)));
    assert_eq!(e.records()[1].started, Some(t(8 * M)));
    // The new segment's stages are announced in turn.
    assert_eq!(e.tick(t(26 * M)), vec![Event::Warning { index: 1 }]);
}

#[test]
fn next_chains_through_every_segment_and_finishes_on_time() {
    let mut e = Engine::new(&show_ending(OnEnd::Next));
    e.apply(Command::Start, t(0)).unwrap();
    // One tick long after the whole show (8 + 20 + 15 + 30 = 73 minutes).
    let events = e.tick(t(100 * M));
    let started: Vec<usize> = events
        .iter()
        .filter_map(|ev| match ev {
            Event::Started { index } => Some(*index),
            _ => None,
        })
        .collect();
    assert_eq!(started, [1, 2, 3]);
    assert_eq!(events.last(), Some(&Event::Finished));
    let s = e.snapshot(t(100 * M));
    assert_eq!(s.phase, Phase::Finished);
    assert_eq!(s.schedule_offset_ms, 0);
    assert_eq!(s.projected_end, Some(t(73 * M)));
    let ends: Vec<Option<ShowTime>> = e.records().iter().map(|r| r.ended).collect();
    assert_eq!(
        ends,
        [
            Some(t(8 * M)),
            Some(t(28 * M)),
            Some(t(43 * M)),
            Some(t(73 * M))
        ]
    );
}

#[test]
fn next_after_a_pause_and_an_adjustment_keeps_the_adjusted_deadline() {
    let mut e = Engine::new(&show_ending(OnEnd::Next));
    e.apply(Command::Start, t(0)).unwrap();
    e.apply(Command::Pause, t(M)).unwrap();
    e.apply(Command::Resume, t(2 * M)).unwrap();
    e.apply(Command::Adjust(30), t(3 * M)).unwrap();
    // Deadline: 8' + 1' paused + 30 s = 9:30; the talk's deadline 20' later.
    let s = e.snapshot(t(10 * M));
    assert_eq!((s.index, s.deadline), (1, Some(t(29 * M + 30 * S))));
    // The moderator can still move on early by hand.
    e.apply(Command::Next, t(11 * M)).unwrap();
    assert_eq!(e.snapshot(t(11 * M)).index, 2);
}

#[test]
fn mixed_end_actions_stop_where_the_programme_says() {
    let mut show = show();
    show.segments[0].on_end = OnEnd::Next;
    show.segments[1].on_end = OnEnd::Stop;
    let mut e = Engine::new(&show);
    e.apply(Command::Start, t(0)).unwrap();
    let s = e.snapshot(t(40 * M));
    assert_eq!((s.index, s.phase), (1, Phase::Stopped));
    assert_eq!(
        e.clone().tick(t(40 * M)),
        vec![
            Event::Warning { index: 0 },
            Event::Ended {
                index: 0,
                overrun_ms: 0
            },
            Event::Started { index: 1 },
            Event::Warning { index: 1 },
            Event::Stopped { index: 1 },
            Event::Ended {
                index: 1,
                overrun_ms: 0
            },
        ]
    );
    // Overtime (the default) keeps counting up.
    let (e, _) = run(&[(0, Command::Start)]);
    assert_eq!(e.snapshot(t(9 * M)).phase, Phase::Overtime);
}

#[test]
fn blackout_and_focus_are_in_the_state_and_reset_clears_them() {
    let (e, _) = run(&[(0, Command::Blackout(true)), (0, Command::Focus(true))]);
    let s = e.snapshot(t(0));
    assert!(s.blackout && s.focus);
    let (e, _) = run(&[
        (0, Command::Blackout(true)),
        (M, Command::Blackout(false)),
        (M, Command::Focus(true)),
    ]);
    let s = e.snapshot(t(M));
    assert!(!s.blackout && s.focus);
    let (e, _) = run(&[(0, Command::Blackout(true)), (M, Command::Reset)]);
    assert!(!e.snapshot(t(M)).blackout);
}
