//! Edits of the run-of-show with explicit instants: what each may change where, how the running
//! segment's deadline moves (from its start, never from now), undo, and replay.

use std::time::Duration;

use super::super::*;
use crate::show::fixtures::{show_of, talk as seg};
use crate::show::{Kind, OnEnd, Show};

const S: i64 = 1000;
const M: i64 = 60 * S;

/// Intro 8', Talk A 20', Talk B 15', Q&A 30'.
fn show() -> Show {
    show_of(vec![
        seg("Intro", 8),
        seg("Talk A", 20),
        seg("Talk B", 15),
        seg("Q&A", 30),
    ])
}

fn t(ms: i64) -> ShowTime {
    ShowTime(ms)
}

fn ok(e: &mut Engine, cmd: Command, at: i64) -> Vec<Event> {
    e.apply(cmd.clone(), t(at))
        .unwrap_or_else(|why| panic!("{cmd:?} at {at}: {why}"))
}

fn refused(e: &mut Engine, cmd: Command, at: i64) -> String {
    let before = e.clone();
    let why = e
        .apply(cmd.clone(), t(at))
        .expect_err(&format!("{cmd:?} at {at} is refused"))
        .0;
    assert_eq!(e.show(), before.show(), "a refusal changes nothing");
    assert_eq!(e.revision(), before.revision());
    why
}

fn set(segment: usize, changes: Changes) -> Command {
    Command::Edit(Edit::Set { segment, changes })
}

fn title(segment: usize, title: &str) -> Command {
    set(
        segment,
        Changes {
            title: Some(title.into()),
            ..Changes::default()
        },
    )
}

fn duration(segment: usize, minutes: u64) -> Command {
    set(
        segment,
        Changes {
            duration: Some(Duration::from_secs(minutes * 60)),
            ..Changes::default()
        },
    )
}

fn titles(e: &Engine) -> Vec<&str> {
    e.show().segments.iter().map(|s| s.title.as_str()).collect()
}

#[test]
fn upcoming_segments_take_any_change_and_views_see_a_new_revision() {
    let mut e = Engine::new(&show());
    ok(&mut e, Command::Start, 0);
    assert_eq!(e.snapshot(t(0)).revision, 0);
    ok(&mut e, title(2, "  Talk B, revised "), S);
    ok(
        &mut e,
        set(
            2,
            Changes {
                speaker: Some(Some("Ana".into())),
                duration: Some(Duration::from_secs(600)),
                min: Some(Some(Duration::from_secs(300))),
                max: Some(Some(Duration::from_secs(720))),
                warn: Some(Duration::from_secs(30)),
                kind: Some(Kind::Qa),
                ..Changes::default()
            },
        ),
        2 * S,
    );
    let b = &e.show().segments[2];
    assert_eq!(b.title, "Talk B, revised");
    assert_eq!(b.speaker.as_deref(), Some("Ana"));
    assert_eq!(
        (b.duration, b.min, b.max, b.warn, b.kind),
        (
            Duration::from_secs(600),
            Some(Duration::from_secs(300)),
            Some(Duration::from_secs(720)),
            Duration::from_secs(30),
            Kind::Qa
        )
    );
    let snap = e.snapshot(t(3 * S));
    assert_eq!(snap.revision, 2);
    // The plan is the edited one: 8 + 20 + 10 + 30 minutes from the start.
    assert_eq!(snap.projected_end, Some(t(68 * M)));
    // Blank speaker clears it.
    ok(
        &mut e,
        set(
            2,
            Changes {
                speaker: Some(Some("  ".into())),
                ..Changes::default()
            },
        ),
        4 * S,
    );
    assert_eq!(e.show().segments[2].speaker, None);
}

/// The running segment's new duration counts from its start: time already run, pauses and the
/// moderator's adjustments are kept, and `now` plays no part.
#[test]
fn the_running_segments_duration_moves_its_deadline_from_its_start() {
    let mut e = Engine::new(&show());
    ok(&mut e, Command::Start, 1_000);
    ok(&mut e, duration(0, 10), 1_000 + 3 * M);
    assert_eq!(
        e.snapshot(t(1_000 + 3 * M)).deadline,
        Some(t(1_000 + 10 * M))
    );
    // The same edit later gives the same deadline.
    let mut later = Engine::new(&show());
    ok(&mut later, Command::Start, 1_000);
    ok(&mut later, duration(0, 10), 1_000 + 7 * M);
    assert_eq!(
        later.snapshot(t(1_000 + 7 * M)).deadline,
        Some(t(1_000 + 10 * M))
    );

    // Paused 3' and given a minute: both kept.
    let mut e = Engine::new(&show());
    ok(&mut e, Command::Start, 0);
    ok(&mut e, Command::Pause, 2 * M);
    ok(&mut e, Command::Resume, 5 * M);
    ok(&mut e, Command::Adjust(60), 5 * M);
    assert_eq!(e.snapshot(t(6 * M)).deadline, Some(t(12 * M)));
    ok(&mut e, duration(0, 10), 6 * M);
    let snap = e.snapshot(t(6 * M));
    assert_eq!(
        snap.deadline,
        Some(t(14 * M)),
        "start + 10' + 3' paused + 1'"
    );
    assert_eq!(snap.length_ms, 11 * M, "the new length plus the adjustment");
    assert_eq!(
        snap.schedule_offset_ms,
        4 * M,
        "measured against the edited plan"
    );

    // Paused: the remaining time moves by the difference.
    ok(&mut e, Command::Pause, 7 * M);
    ok(&mut e, duration(0, 12), 8 * M);
    assert_eq!(e.snapshot(t(8 * M)).remaining_ms, 7 * M + 2 * M);
    // The record of its start is untouched.
    assert_eq!(e.records()[0].started, Some(t(0)));
}

#[test]
fn shortening_the_running_segment_below_what_has_run_is_overtime_or_refused() {
    // Counting into overtime: it is overtime at once, and announced.
    let mut e = Engine::new(&show());
    ok(&mut e, Command::Start, 0);
    let events = ok(&mut e, duration(0, 2), 5 * M);
    assert_eq!(
        events,
        vec![Event::Warning { index: 0 }, Event::Overtime { index: 0 }]
    );
    assert_eq!(e.snapshot(t(5 * M)).remaining_ms, -3 * M);
    // A segment that stops (or hands over) at zero would end in the past: refused.
    let mut stops = show();
    stops.segments[0].on_end = OnEnd::Next;
    let mut e = Engine::new(&stops);
    ok(&mut e, Command::Start, 0);
    let why = refused(&mut e, duration(0, 2), 5 * M);
    assert!(why.contains("in the past") && why.contains("5:00"), "{why}");
    ok(&mut e, duration(0, 6), 5 * M);
    assert_eq!(e.snapshot(t(5 * M)).deadline, Some(t(6 * M)));
    // Once stopped at zero, its duration is no longer edited, its title still is.
    let mut stops = show();
    stops.segments[0].on_end = OnEnd::Stop;
    let mut e = Engine::new(&stops);
    ok(&mut e, Command::Start, 0);
    e.tick(t(9 * M));
    assert!(refused(&mut e, duration(0, 20), 9 * M).contains("already up"));
    ok(&mut e, title(0, "Welcome"), 9 * M);
}

#[test]
fn completed_and_earlier_segments_are_refused_with_the_reason() {
    let mut e = Engine::new(&show());
    ok(&mut e, Command::Start, 0);
    ok(&mut e, Command::Next, 8 * M);
    let why = refused(&mut e, title(0, "Welcome"), 9 * M);
    assert!(
        why.contains("segment 0") && why.contains("past is not rewritten"),
        "{why}"
    );
    assert!(
        refused(&mut e, Command::Edit(Edit::Delete { segment: 0 }), 9 * M).contains("segment 0")
    );
    // A segment that ran and was left by going back is past too.
    ok(&mut e, Command::Goto(2), 10 * M);
    ok(&mut e, Command::Goto(1), 11 * M);
    assert!(refused(&mut e, title(2, "B"), 11 * M).contains("already run"));
    // Nothing is edited once the show is finished.
    ok(&mut e, Command::Goto(3), 12 * M);
    ok(&mut e, Command::Next, 13 * M);
    assert!(refused(&mut e, title(3, "Q"), 14 * M).contains("finished"));
    let append = Command::Edit(Edit::Insert {
        at: 4,
        segment: Box::new(seg("Encore", 5)),
    });
    assert!(refused(&mut e, append, 14 * M).contains("finished"));
    // No such segment.
    let mut e = Engine::new(&show());
    assert!(refused(&mut e, title(4, "x"), 0).contains("segments 0 to 3"));
    assert!(refused(&mut e, set(1, Changes::default()), 0).contains("changes nothing"));
}

#[test]
fn invalid_lengths_are_refused_as_the_loader_would() {
    let mut e = Engine::new(&show());
    let max = |m: u64| {
        set(
            1,
            Changes {
                max: Some(Some(Duration::from_secs(m * 60))),
                ..Changes::default()
            },
        )
    };
    assert!(refused(&mut e, max(10), 0).contains("max (10:00) is shorter than duration (20:00)"));
    assert!(refused(&mut e, duration(1, 0), 0).contains("longer than zero"));
    assert!(refused(&mut e, duration(1, 25 * 60), 0).contains("24h"));
    let warn = set(
        1,
        Changes {
            warn: Some(Duration::from_secs(20 * 60)),
            ..Changes::default()
        },
    );
    assert!(refused(&mut e, warn, 0).contains("warn (20:00)"));
    assert!(refused(&mut e, title(1, " "), 0).contains("empty"));
    assert!(refused(&mut e, title(1, "a\u{1b}[2J"), 0).contains("control"));
}

#[test]
fn insert_delete_and_move_only_after_the_running_segment() {
    let mut e = Engine::new(&show());
    ok(&mut e, Command::Start, 0);
    ok(&mut e, Command::Next, 8 * M);
    let insert = |at| {
        Command::Edit(Edit::Insert {
            at,
            segment: Box::new(seg("Break", 5)),
        })
    };
    assert!(refused(&mut e, insert(1), 9 * M).contains("insert at 2 or later"));
    assert!(refused(&mut e, insert(9), 9 * M).contains("has 4 segments"));
    ok(&mut e, insert(2), 9 * M);
    assert_eq!(titles(&e), ["Intro", "Talk A", "Break", "Talk B", "Q&A"]);
    assert_eq!(e.segment_ids(), [0, 1, 4, 2, 3]);
    assert_eq!(e.records().len(), 5);
    // The projected end follows: 8' (run) + 20' + 5' + 15' + 30', from the start.
    assert_eq!(e.snapshot(t(9 * M)).projected_end, Some(t(78 * M)));
    let delete = |segment| Command::Edit(Edit::Delete { segment });
    assert!(refused(&mut e, delete(1), 9 * M).contains("current segment"));
    ok(&mut e, delete(3), 9 * M);
    assert_eq!(titles(&e), ["Intro", "Talk A", "Break", "Q&A"]);
    let mv = |segment, to| Command::Edit(Edit::Move { segment, to });
    assert!(refused(&mut e, mv(1, 3), 9 * M).contains("current segment"));
    assert!(refused(&mut e, mv(3, 1), 9 * M).contains("current segment"));
    ok(&mut e, mv(3, 2), 9 * M);
    assert_eq!(titles(&e), ["Intro", "Talk A", "Q&A", "Break"]);
    assert_eq!(e.segment_ids(), [0, 1, 3, 4]);
    // The running segment is unchanged through it all.
    let snap = e.snapshot(t(10 * M));
    assert_eq!((snap.index, snap.deadline), (1, Some(t(28 * M))));
    // Next goes to the moved segment.
    ok(&mut e, Command::Next, 10 * M);
    assert_eq!(e.snapshot(t(10 * M)).planned_ms, 30 * M);
}

#[test]
fn before_the_start_every_segment_is_free_and_the_first_may_change() {
    let mut e = Engine::new(&show());
    ok(
        &mut e,
        Command::Edit(Edit::Insert {
            at: 0,
            segment: Box::new(seg("Doors", 2)),
        }),
        0,
    );
    assert_eq!(
        e.snapshot(t(0)).remaining_ms,
        2 * M,
        "the new first segment is current"
    );
    ok(&mut e, Command::Edit(Edit::Move { segment: 0, to: 4 }), 0);
    assert_eq!(titles(&e), ["Intro", "Talk A", "Talk B", "Q&A", "Doors"]);
    ok(&mut e, Command::Edit(Edit::Delete { segment: 0 }), 0);
    assert_eq!(e.snapshot(t(0)).remaining_ms, 20 * M);
    // The last segment cannot go.
    for _ in 0..3 {
        ok(&mut e, Command::Edit(Edit::Delete { segment: 0 }), 0);
    }
    assert!(
        refused(&mut e, Command::Edit(Edit::Delete { segment: 0 }), 0).contains("at least one")
    );
}

#[test]
fn anchors_keep_the_running_order() {
    let mut anchored = show();
    anchored.segments[1].at = chrono::NaiveTime::from_hms_opt(10, 0, 0);
    anchored.segments[3].at = chrono::NaiveTime::from_hms_opt(11, 0, 0);
    let mut e = Engine::new(&anchored);
    let why = refused(&mut e, Command::Edit(Edit::Move { segment: 3, to: 0 }), 0);
    assert!(why.contains("anchors follow the running order"), "{why}");
    ok(&mut e, Command::Edit(Edit::Move { segment: 2, to: 0 }), 0);
}

#[test]
fn undo_puts_back_the_last_edit_through_the_same_rules() {
    let mut e = Engine::new(&show());
    assert!(refused(&mut e, Command::Undo, 0).contains("no edit to undo"));
    let mut noted = seg("Panel", 25);
    noted.notes = Some("bring chairs".into());
    noted.speaker = Some("Bo".into());
    ok(
        &mut e,
        Command::Edit(Edit::Insert {
            at: 2,
            segment: Box::new(noted.clone()),
        }),
        0,
    );
    ok(&mut e, title(1, "Keynote"), 0);
    ok(&mut e, Command::Edit(Edit::Delete { segment: 2 }), 0);
    ok(&mut e, Command::Edit(Edit::Move { segment: 3, to: 1 }), 0);
    assert_eq!(titles(&e), ["Intro", "Q&A", "Keynote", "Talk B"]);
    ok(&mut e, Command::Undo, 0);
    assert_eq!(titles(&e), ["Intro", "Keynote", "Talk B", "Q&A"]);
    ok(&mut e, Command::Undo, 0);
    assert_eq!(
        e.show().segments[2],
        noted,
        "a deleted segment comes back whole"
    );
    ok(&mut e, Command::Undo, 0);
    ok(&mut e, Command::Undo, 0);
    assert_eq!(e.show(), &show());
    assert_eq!(e.snapshot(t(0)).revision, 8);
    assert_eq!(e.undo_depth(), 0);

    // An edit whose segment has started since cannot be undone, and stays the last edit.
    ok(
        &mut e,
        Command::Edit(Edit::Insert {
            at: 1,
            segment: Box::new(seg("Break", 5)),
        }),
        0,
    );
    ok(&mut e, Command::Start, 0);
    ok(&mut e, Command::Next, 8 * M);
    let why = refused(&mut e, Command::Undo, 9 * M);
    assert!(
        why.starts_with("the last edit cannot be undone") && why.contains("current"),
        "{why}"
    );
    assert_eq!(e.undo_depth(), 1);

    // Undoing the running segment's duration moves its deadline back, from its start.
    let mut e = Engine::new(&show());
    ok(&mut e, Command::Start, 0);
    ok(&mut e, duration(0, 12), M);
    ok(&mut e, Command::Undo, 2 * M);
    assert_eq!(e.snapshot(t(2 * M)).deadline, Some(t(8 * M)));
}

#[test]
fn the_undo_stack_is_bounded() {
    let mut e = Engine::new(&show());
    for n in 0..UNDO_DEPTH + 5 {
        ok(&mut e, title(3, &format!("Q&A {n}")), 0);
    }
    assert_eq!(e.undo_depth(), UNDO_DEPTH);
}

#[test]
fn upcoming_replaces_what_has_not_started() {
    let mut e = Engine::new(&show());
    ok(&mut e, Command::Start, 0);
    let upcoming = |from| {
        Command::Edit(Edit::Upcoming {
            from,
            segments: vec![seg("Talk C", 10), seg("Wrap", 5)],
        })
    };
    assert!(refused(&mut e, upcoming(0), M).contains("begin at 1"));
    ok(&mut e, upcoming(1), M);
    assert_eq!(titles(&e), ["Intro", "Talk C", "Wrap"]);
    assert_eq!(
        e.snapshot(t(M)).deadline,
        Some(t(8 * M)),
        "the running segment untouched"
    );
    ok(&mut e, Command::Undo, M);
    assert_eq!(titles(&e), ["Intro", "Talk A", "Talk B", "Q&A"]);
}

/// What the journal relies on: the same commands at the same instants give the same engine.
#[test]
fn replaying_the_commands_rebuilds_the_edited_show() {
    let script = vec![
        (0, Command::Start),
        (M, title(2, "Talk B2")),
        (
            2 * M,
            Command::Edit(Edit::Insert {
                at: 1,
                segment: Box::new(seg("Break", 5)),
            }),
        ),
        (3 * M, duration(0, 9)),
        (4 * M, Command::Undo),
        (5 * M, Command::Next),
        (6 * M, Command::Edit(Edit::Move { segment: 4, to: 2 })),
    ];
    let mut a = Engine::new(&show());
    for (at, cmd) in &script {
        ok(&mut a, cmd.clone(), *at);
    }
    let mut b = Engine::new(&show());
    for (at, cmd) in &script {
        let _ = b.apply(cmd.clone(), t(*at));
    }
    assert_eq!(a.show(), b.show());
    assert_eq!(a.snapshot(t(7 * M)), b.snapshot(t(7 * M)));
    assert_eq!(titles(&a), ["Intro", "Break", "Q&A", "Talk A", "Talk B2"]);
}
