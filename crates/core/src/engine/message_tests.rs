//! Messages with explicit instants: presets, flash and chime, and clearing when the segment
//! changes (issue 14).

use crate::engine::{Command, Engine, Message, Phase, ShowTime, Text};
use crate::show::fixtures::{show_of, talk};
use crate::show::{MessageClears, Messages, OnEnd, Preset, Segment, Show};

const M: i64 = 60_000;

fn seg(title: &str, minutes: u64, on_end: OnEnd) -> Segment {
    Segment {
        on_end,
        ..talk(title, minutes)
    }
}

/// Talk A 10' (hands over at zero), Talk B 10' (stops at zero), Talk C 10'.
fn show(messages: Messages) -> Show {
    Show {
        messages,
        ..show_of(vec![
            seg("Talk A", 10, OnEnd::Next),
            seg("Talk B", 10, OnEnd::Stop),
            seg("Talk C", 10, OnEnd::Overtime),
        ])
    }
}

fn t(ms: i64) -> ShowTime {
    ShowTime(ms)
}

fn apply(e: &mut Engine, at: i64, cmd: Command) {
    e.apply(cmd, t(at)).expect("script command applies");
}

#[test]
fn a_preset_is_said_with_the_sessions_defaults_and_spelled_out_for_the_journal() {
    let mut e = Engine::new(&show(Messages::default()));
    apply(&mut e, 5_000, Command::Message(Message::preset(1)));
    let s = e.snapshot(t(6_000));
    assert_eq!(s.message, "Please wrap up");
    assert_eq!(s.message_at, Some(t(5_000)));
    assert!(s.message_flash, "a message flashes by default");
    assert!(!s.message_chime, "and does not chime");
    assert_eq!(
        e.resolve(Command::Message(Message::preset(5))),
        Ok(Command::Message(Message {
            text: Text::Written("Slow down".into()),
            flash: Some(true),
            chime: Some(false),
        }))
    );
    assert_eq!(e.resolve(Command::Next), Ok(Command::Next));
}

#[test]
fn a_preset_out_of_range_is_refused_and_the_session_is_unharmed() {
    let mut e = Engine::new(&show(Messages::default()));
    apply(&mut e, 0, Command::Start);
    apply(&mut e, M, Command::Message("Keep going".into()));
    let before = e.snapshot(t(2 * M));
    for n in [0, 6, usize::MAX] {
        let why = e
            .apply(Command::Message(Message::preset(n)), t(2 * M))
            .unwrap_err();
        assert_eq!(
            why.0,
            format!("there is no preset {n}: the session has presets 1 to 5")
        );
        assert!(e.resolve(Command::Message(Message::preset(n))).is_err());
    }
    assert_eq!(e.snapshot(t(2 * M)), before);
}

#[test]
fn flash_and_chime_come_from_the_message_then_the_preset_then_the_session() {
    let messages = Messages {
        presets: vec![
            Preset {
                text: "Wrap up".into(),
                flash: None,
                chime: Some(true),
            },
            Preset {
                text: "Louder".into(),
                flash: Some(true),
                chime: None,
            },
        ],
        clears: MessageClears::Segment,
        flash: false,
        chime: false,
    };
    let mut e = Engine::new(&show(messages));
    let cases = [
        (Message::preset(1), ("Wrap up", false, true)),
        (Message::preset(2), ("Louder", true, false)),
        (Message::from("Typed"), ("Typed", false, false)),
        (
            Message {
                text: Text::Written("Typed".into()),
                flash: Some(true),
                chime: Some(true),
            },
            ("Typed", true, true),
        ),
        (
            Message {
                text: Text::Preset(1),
                flash: Some(true),
                chime: Some(false),
            },
            ("Wrap up", true, false),
        ),
    ];
    for (n, (message, (text, flash, chime))) in cases.into_iter().enumerate() {
        let at = n as i64 * 1_000;
        apply(&mut e, at, Command::Message(message));
        let s = e.snapshot(t(at));
        assert_eq!(
            (s.message.as_str(), s.message_flash, s.message_chime),
            (text, flash, chime),
            "case {n}"
        );
        assert_eq!(s.message_at, Some(t(at)));
    }
    assert_eq!(
        e.apply(Command::Message(Message::preset(3)), t(9_000))
            .unwrap_err()
            .0,
        "there is no preset 3: the session has presets 1 to 2"
    );
    apply(&mut e, 10_000, Command::Message("".into()));
    let s = e.snapshot(t(10_000));
    assert_eq!(
        (s.message.as_str(), s.message_at, s.message_flash),
        ("", None, false)
    );
}

/// Issue 14: "a 'wrap up' meant for one speaker greets the next one". Every way of changing
/// segment clears it — next, previous, goto, the hand-over at zero (at the deadline itself, a
/// late tick or not) and the show's end — while a stop at zero keeps it on screen.
#[test]
fn a_message_clears_itself_when_the_segment_changes() {
    let mut e = Engine::new(&show(Messages::default()));
    apply(&mut e, 0, Command::Start);
    apply(&mut e, 9 * M, Command::Message(Message::preset(1)));
    // Talk A hands over to Talk B at 10:00: the message is there until then, gone at once after.
    assert_eq!(e.snapshot(t(10 * M - 1)).message, "Please wrap up");
    let handed = e.snapshot(t(10 * M));
    assert_eq!((handed.index, handed.message.as_str()), (1, ""));
    // The tick comes late: the message still went at the hand-over.
    e.tick(t(10 * M + 700));
    assert_eq!(e.snapshot(t(10 * M + 700)).message, "");

    // Talk B stops at zero: the message sent just before stays with its speaker.
    apply(&mut e, 19 * M, Command::Message(Message::preset(3)));
    e.tick(t(20 * M + 5));
    let stopped = e.snapshot(t(20 * M + 5));
    assert_eq!(
        (stopped.phase, stopped.message.as_str()),
        (Phase::Stopped, "Time is up")
    );
    apply(&mut e, 21 * M, Command::Next);
    assert_eq!(e.snapshot(t(21 * M)).message, "");

    for (cmd, index) in [
        (Command::Previous, 1),
        (Command::Goto(0), 0),
        (Command::Goto(2), 2),
    ] {
        apply(&mut e, 22 * M, Command::Message("Slide 3 is frozen".into()));
        apply(&mut e, 22 * M, cmd.clone());
        let s = e.snapshot(t(22 * M));
        assert_eq!(
            (s.index, s.message.as_str(), s.message_at),
            (index, "", None),
            "{cmd:?}"
        );
    }
    // The end of the show clears it too: the last segment is over.
    apply(&mut e, 23 * M, Command::Message("Thank you".into()));
    apply(&mut e, 24 * M, Command::Next);
    let s = e.snapshot(t(24 * M));
    assert_eq!((s.phase, s.message.as_str()), (Phase::Finished, ""));
    // A message sent after the end stays on the finished screen.
    apply(&mut e, 25 * M, Command::Message("Thanks all".into()));
    assert_eq!(e.snapshot(t(26 * M)).message, "Thanks all");
}

#[test]
fn message_clears_never_keeps_it_across_segments_until_cleared() {
    let messages = Messages {
        clears: MessageClears::Never,
        ..Messages::default()
    };
    let mut e = Engine::new(&show(messages));
    apply(&mut e, 0, Command::Start);
    apply(&mut e, M, Command::Message("Questions in the chat".into()));
    apply(&mut e, 2 * M, Command::Next);
    e.tick(t(12 * M + 1));
    let s = e.snapshot(t(12 * M + 1));
    assert_eq!(s.message, "Questions in the chat");
    assert_eq!(s.message_at, Some(t(M)), "it does not arrive again");
    apply(&mut e, 13 * M, Command::Message("".into()));
    assert_eq!(e.snapshot(t(13 * M)).message, "");
}
