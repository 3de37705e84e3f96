//! Starting on time with explicit instants: auto-starts (the show's, a segment's with an `at`),
//! carried out at their instant however late the tick, recorded as the commands they equal; and
//! the alarm for a show not started a minute after its planned start (issue 14).

use crate::engine::{AutoStart, Command, Engine, Event, Phase, Schedule, ShowTime};
use crate::show::Show;
use crate::show::fixtures::{show_of, talk as seg};

const M: i64 = 60_000;

/// Welcome 10', Talk 20', Live link 15' (its own auto-start in the tests), Q&A 10'.
fn show() -> Show {
    show_of(vec![
        seg("Welcome", 10),
        seg("Talk", 20),
        seg("Live link", 15),
        seg("Q&A", 10),
    ])
}

fn t(ms: i64) -> ShowTime {
    ShowTime(ms)
}

fn armed(starts: &[(usize, i64)], planned_start: Option<i64>, now: i64) -> Engine {
    Engine::new(&show()).with_schedule(
        Schedule {
            planned_start: planned_start.map(t),
            auto_starts: starts
                .iter()
                .map(|&(index, at)| AutoStart { index, at: t(at) })
                .collect(),
        },
        t(now),
    )
}

fn auto_started(events: &[Event]) -> Vec<(usize, i64, Vec<Command>)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::AutoStarted {
                index,
                at,
                commands,
            } => Some((*index, at.0, commands.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn the_show_starts_by_itself_at_its_start_even_when_the_tick_is_late() {
    let mut e = armed(&[(0, 5 * M)], Some(5 * M), 0);
    assert_eq!(
        e.next_change(t(0)),
        Some(t(5 * M)),
        "the controller wakes for it"
    );
    assert_eq!(e.snapshot(t(5 * M - 1)).phase, Phase::Ready);
    // The tick comes 700 ms late: the segment started at 5:00 all the same.
    let events = e.tick(t(5 * M + 700));
    assert_eq!(auto_started(&events), [(0, 5 * M, vec![Command::Start])]);
    assert!(events.contains(&Event::Started { index: 0 }));
    let s = e.snapshot(t(5 * M + 700));
    assert_eq!(s.phase, Phase::Running);
    assert_eq!(s.deadline, Some(t(15 * M)));
    assert_eq!(s.show_started, Some(t(5 * M)));
    assert!(!s.start_overdue);
    // A snapshot before any tick already shows it started (it never shows a state that cannot be).
    let untouched = armed(&[(0, 5 * M)], None, 0);
    assert_eq!(untouched.snapshot(t(6 * M)).deadline, Some(t(15 * M)));
    // Once only.
    assert!(auto_started(&e.tick(t(9 * M))).is_empty());
}

#[test]
fn a_segment_with_an_at_starts_by_itself_leaving_whatever_ran_before() {
    // The talk overruns; the live link starts at 35:00 whatever happens.
    let mut e = armed(&[(2, 35 * M)], None, 0);
    e.apply(Command::Start, t(0)).expect("start");
    e.apply(Command::Next, t(10 * M)).expect("next");
    let events = e.tick(t(36 * M));
    assert_eq!(
        auto_started(&events),
        [(2, 35 * M, vec![Command::Goto(2)])],
        "running: going there starts it"
    );
    assert!(events.contains(&Event::Ended {
        index: 1,
        overrun_ms: 5 * M
    }));
    let s = e.snapshot(t(36 * M));
    assert_eq!((s.index, s.phase), (2, Phase::Running));
    assert_eq!(s.deadline, Some(t(50 * M)));

    // Paused before it: it goes there and starts.
    let mut e = armed(&[(2, 35 * M)], None, 0);
    e.apply(Command::Start, t(0)).expect("start");
    e.apply(Command::Pause, t(M)).expect("pause");
    let events = e.tick(t(35 * M));
    assert_eq!(
        auto_started(&events),
        [(2, 35 * M, vec![Command::Goto(2), Command::Start])]
    );
    assert_eq!(e.snapshot(t(35 * M)).phase, Phase::Running);

    // Already there and under way, or past it: nothing happens.
    for script in [
        vec![(0, Command::Goto(2)), (0, Command::Start)],
        vec![
            (0, Command::Goto(2)),
            (0, Command::Start),
            (M, Command::Pause),
        ],
        vec![(0, Command::Goto(3)), (0, Command::Start)],
    ] {
        let mut e = armed(&[(2, 35 * M)], None, 0);
        for (at, cmd) in &script {
            e.apply(cmd.clone(), t(*at)).expect("script");
        }
        let before = e.snapshot(t(35 * M - 1));
        assert!(auto_started(&e.tick(t(35 * M))).is_empty(), "{script:?}");
        assert_eq!(e.snapshot(t(35 * M)).index, before.index);
        assert_eq!(e.snapshot(t(35 * M)).phase, before.phase, "{script:?}");
    }
}

#[test]
fn an_auto_start_already_past_when_armed_does_not_fire() {
    let mut e = armed(&[(0, 5 * M)], None, 5 * M);
    assert_eq!(e.next_change(t(5 * M)), None);
    assert!(e.tick(t(6 * M)).is_empty());
    assert_eq!(e.snapshot(t(6 * M)).phase, Phase::Ready);
}

/// The journal records the commands an auto-start equals at its instant: replaying them on an
/// engine that knows nothing of auto-starts (what `--resume` and `report` do) gives the same
/// show to the millisecond.
#[test]
fn replaying_an_auto_starts_commands_gives_the_same_show() {
    let mut live = armed(&[(0, 2 * M), (2, 35 * M)], Some(2 * M), 0);
    let mut journal: Vec<(ShowTime, Command)> = Vec::new();
    let record = |journal: &mut Vec<(ShowTime, Command)>, events: Vec<Event>| {
        for e in events {
            if let Event::AutoStarted { at, commands, .. } = e {
                journal.extend(commands.into_iter().map(|c| (at, c)));
            }
        }
    };
    record(&mut journal, live.tick(t(2 * M + 400)));
    let next = live.apply(Command::Next, t(12 * M)).expect("next");
    record(&mut journal, next);
    journal.push((t(12 * M), Command::Next));
    record(&mut journal, live.tick(t(35 * M + 999)));
    let mut replayed = Engine::new(&show());
    for (at, cmd) in journal {
        replayed
            .apply(cmd, at)
            .expect("a journaled command applies");
    }
    assert_eq!(replayed.snapshot(t(40 * M)), live.snapshot(t(40 * M)));
    assert_eq!(replayed.records(), live.records());
}

/// OnlyT issue #73: a forgotten start. A minute after the planned start, still not started: the
/// engine says so once (an event for the alerts, a flag in every snapshot until the start).
#[test]
fn a_show_not_started_a_minute_after_its_planned_start_raises_the_alarm_once() {
    let mut e = armed(&[], Some(10 * M), 0);
    assert_eq!(e.next_change(t(0)), Some(t(11 * M)));
    assert!(e.tick(t(11 * M - 1)).is_empty());
    assert!(!e.snapshot(t(11 * M - 1)).start_overdue);
    assert!(e.snapshot(t(11 * M)).start_overdue);
    assert_eq!(
        e.tick(t(11 * M + 300)),
        [Event::StartOverdue { late_ms: M + 300 }]
    );
    assert!(e.tick(t(12 * M)).is_empty(), "once");
    assert_eq!(e.next_change(t(12 * M)), None);
    assert!(e.snapshot(t(12 * M)).start_overdue);
    e.apply(Command::Start, t(13 * M)).expect("start");
    assert!(!e.snapshot(t(13 * M)).start_overdue);

    // Started in time: no alarm.
    let mut e = armed(&[], Some(10 * M), 0);
    e.apply(Command::Start, t(10 * M + 5_000)).expect("start");
    assert!(
        e.tick(t(20 * M))
            .iter()
            .all(|ev| !matches!(ev, Event::StartOverdue { .. }))
    );
    assert_eq!(
        e.next_change(t(10 * M + 5_000)),
        Some(t(19 * M + 5_000)),
        "only the warning"
    );
}
