//! The display rules against the shared table of cases, `tests/cases/display.json` (also read by
//! `tests/js/display.test.mjs` for `web/display.js`), and what the table cannot say: building a
//! countdown from an engine snapshot, and rendering on every next change.

use std::time::Duration;

use serde_json::Value;

use super::*;
use crate::engine::ShowTime;

const TABLE: &str = include_str!("../../../../tests/cases/display.json");

fn table() -> Value {
    serde_json::from_str(TABLE).expect("tests/cases/display.json is JSON")
}

fn cases<'a>(table: &'a Value, section: &str) -> &'a Vec<Value> {
    table[section].as_array().expect("a section of cases")
}

/// A state of the table (the wire's fields) as a countdown.
fn countdown(state: &Value) -> Countdown {
    let segment = &state["segment"];
    Countdown {
        phase: parse_phase(state["phase"].as_str().expect("phase")).expect("a known phase"),
        remaining_ms: state["remaining_ms"].as_f64().expect("remaining_ms"),
        ends_at_ms: state["ends_at_ms"].as_f64(),
        speed: state["speed"].as_f64().expect("speed"),
        duration_ms: segment["duration_ms"].as_f64().expect("duration_ms"),
        max_ms: segment["max_ms"].as_f64(),
        warn_ms: segment["warn_ms"].as_f64(),
        on_end: match segment["on_end"].as_str() {
            Some("stop") => OnEnd::Stop,
            Some("next") => OnEnd::Next,
            _ => OnEnd::Overtime,
        },
    }
}

#[test]
fn the_countdown_follows_the_shared_table() {
    let table = table();
    let cases = cases(&table, "countdown");
    assert!(cases.len() >= 60, "{} cases", cases.len());
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let shown = countdown(&case["state"]).at(case["now_ms"].as_f64().expect("now_ms"));
        assert_eq!(
            shown.digits,
            case["digits"].as_str().expect("digits"),
            "{name}"
        );
        assert_eq!(
            shown.phase.as_str(),
            case["phase"].as_str().expect("phase"),
            "{name}"
        );
        assert_eq!(
            shown.words,
            case["words"].as_str().expect("words"),
            "{name}"
        );
        match (shown.next_change_in_ms, case["next_change_in_ms"].as_f64()) {
            (Some(got), Some(want)) => assert!((got - want).abs() < 1e-9, "{name}: {got} ms"),
            (got, want) => assert_eq!(got, want, "{name}"),
        }
    }
}

#[test]
fn the_progress_bar_and_the_end_follow_the_shared_table() {
    let table = table();
    let cases = cases(&table, "progress");
    assert!(cases.len() >= 15, "{} cases", cases.len());
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let c = countdown(&case["state"]);
        let now = case["now_ms"].as_f64().expect("now_ms");
        let want = &case["progress"];
        match c.progress_at(now) {
            None => assert!(want.is_null(), "{name}: no bar"),
            Some(got) => {
                let close = |a: f64, b: &Value| (a - b.as_f64().expect("a number")).abs() < 1e-9;
                assert!(close(got.elapsed, &want["elapsed"]), "{name}: {got:?}");
                match got.warn_from {
                    Some(w) => assert!(close(w, &want["warn_from"]), "{name}: {got:?}"),
                    None => assert!(want["warn_from"].is_null(), "{name}: {got:?}"),
                }
                assert_eq!(Some(got.over), want["over"].as_bool(), "{name}");
            }
        }
        assert_eq!(c.ends_at(now), case["ends_at_ms"].as_f64(), "{name}");
    }
}

#[test]
fn phase_words_follow_the_shared_table() {
    let table = table();
    for case in cases(&table, "words") {
        let phase = parse_phase(case["phase"].as_str().expect("phase")).expect("a known phase");
        let remaining = case["remaining_ms"].as_f64().expect("remaining_ms");
        assert_eq!(
            phase_words(phase, remaining),
            case["words"].as_str().expect("words"),
            "{case}"
        );
    }
}

#[test]
fn offsets_and_lengths_follow_the_shared_table() {
    let table = table();
    for case in cases(&table, "offsets") {
        let ms = case["ms"].as_f64().expect("ms");
        assert_eq!(
            offset_words(ms),
            case["words"].as_str().expect("words"),
            "{case}"
        );
    }
    for case in cases(&table, "durations") {
        let ms = case["ms"].as_f64().expect("ms");
        assert_eq!(duration(ms), case["text"].as_str().expect("text"), "{case}");
    }
}

#[test]
fn slack_follows_the_shared_table() {
    let table = table();
    for case in cases(&table, "slack") {
        let ms = case["ms"].as_f64().expect("ms");
        assert_eq!(
            slack_words(ms),
            case["words"].as_str().expect("words"),
            "{case}"
        );
    }
}

#[test]
fn slack_is_rounded_like_the_offset() {
    assert_eq!(slack_words(120_000.0), "ends 2:00 early");
    assert_eq!(slack_words(-200_000.0), "ends 3:20 late");
    assert_eq!(slack_words(-1_600.0), "ends 0:02 late");
    assert_eq!(slack_words(-400.0), "ends on time");
    assert_eq!(slack_words(3_700_000.0), "ends 1:01:40 early");
}

#[test]
fn every_wire_phase_name_is_known() {
    for name in [
        "ready", "paused", "running", "warning", "overtime", "over-max", "stopped", "finished",
    ] {
        assert_eq!(parse_phase(name).map(Phase::as_str), Some(name));
    }
    assert_eq!(parse_phase("intermission"), None);
}

/// Rendering at each next change, from an awkward instant, shows every second once.
#[test]
fn following_the_next_change_shows_every_second_once() {
    let c = Countdown {
        phase: Phase::Running,
        remaining_ms: 3_000.0,
        ends_at_ms: Some(3_000.0),
        speed: 1.0,
        duration_ms: 3_000.0,
        max_ms: Some(4_000.0),
        warn_ms: Some(2_000.0),
        on_end: OnEnd::Overtime,
    };
    let mut now = 400.0;
    let mut shown = Vec::new();
    while now <= 5_000.0 {
        let s = c.at(now);
        shown.push((now - 400.0, s.digits, s.phase));
        now += s.next_change_in_ms.expect("ticking").ceil();
    }
    let texts: Vec<_> = shown
        .iter()
        .map(|(t, d, p)| format!("{t} {d} {}", p.as_str()))
        .collect();
    assert_eq!(
        texts,
        [
            "0 0:03 running",
            "600 0:02 warning",
            "1600 0:01 warning",
            "2600 0:00 overtime",
            "3600 +0:01 over-max",
            "4600 +0:02 over-max"
        ]
    );
}

/// The console's countdown: built from a snapshot in show time, with the hard limit moved by an
/// adjustment, as the wire carries it.
#[test]
fn a_snapshot_becomes_the_same_countdown_as_the_wire_state() {
    let show = crate::show::parse(
        std::path::Path::new("talk.toml"),
        "title = \"Show\"\n\
         [[segment]]\ntitle = \"Talk\"\nduration = \"5m\"\nmax = \"7m\"\nwarn = \"2m\"\n\
         [[segment]]\ntitle = \"Q&A\"\nduration = \"10m\"\n",
        chrono_tz::UTC,
    )
    .expect("a valid session");
    let mut engine = crate::engine::Engine::new(&show);
    let t0 = ShowTime(1_000);
    engine
        .apply(crate::engine::Command::Start, t0)
        .expect("starts");
    engine
        .apply(crate::engine::Command::Adjust(60), t0)
        .expect("adjusts");
    let snap = engine.snapshot(t0);
    let c = Countdown::of(&snap, &show.segments[0]);
    assert_eq!(c.duration_ms, 360_000.0);
    assert_eq!(c.max_ms, Some(480_000.0));
    assert_eq!(c.warn_ms, Some(Duration::from_secs(120).as_millis() as f64));
    assert_eq!(c.at(1_000.0).digits, "6:00");
    assert_eq!(c.at(1_000.0 + 480_000.0).phase, Phase::OverMax);
    assert_eq!(c.at(1_000.0 + 479_999.0).phase, Phase::Overtime);
}
