//! What `podium follow` shows: the wire state read through the display rules of
//! [`podium_core::display`] (the ones the moderator's terminal and the report use, and the twin
//! of `web/display.js`), and the screen itself: one line per change without a terminal, or a
//! full-screen view with big digits and phase colours when there is room.
//!
//! Only [`draw`] writes to the terminal. Every string from the wire goes through
//! [`term::printable`] when a [`Frame`] is built, so a hostile server's escape sequences are never
//! printed.

use std::io::Write;

use crossterm::style::{Attribute, Color, Print, ResetColor, SetAttribute, SetForegroundColor};
use crossterm::{cursor, queue, terminal};
use podium_core::display::{self, Countdown};
use podium_core::show::OnEnd;

use crate::protocol::StateIn;
use crate::term;

/// The state's countdown, or `None` for a phase this build does not know (shown as sent).
pub fn countdown(state: &StateIn) -> Option<Countdown> {
    Some(Countdown {
        phase: display::parse_phase(&state.phase)?,
        remaining_ms: state.remaining_ms,
        ends_at_ms: state.ends_at_ms,
        speed: state.speed,
        duration_ms: state.segment.duration_ms,
        max_ms: state.segment.max_ms,
        warn_ms: state.segment.warn_ms,
        on_end: match state.segment.on_end.as_deref() {
            Some("stop") => OnEnd::Stop,
            Some("next") => OnEnd::Next,
            _ => OnEnd::Overtime,
        },
    })
}

/// Real ms from `server_now_ms` until the digits or the phase next change; `None` when nothing
/// changes before the next message.
pub fn ms_until_next_change(state: &StateIn, server_now_ms: f64) -> Option<f64> {
    countdown(state)?.next_change_in(server_now_ms)
}

/// Everything on screen at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    pub digits: String,
    pub phase: String,
    /// The phase in words ([`display::phase_words`]).
    pub words: String,
    pub position: String,
    pub title: String,
    pub speaker: Option<String>,
    pub next: Option<String>,
    pub message: String,
    /// Connection trouble to show ("reconnecting…"), empty while connected.
    pub status: String,
    /// The moderator blanked the screens: a terminal shows nothing but the status.
    pub blackout: bool,
    /// Message only: the speaker sees the message and nothing else.
    pub focus: bool,
}

impl Frame {
    /// The frame for `state` at `server_now_ms`. The state's text is made printable here.
    pub fn of(state: &StateIn, server_now_ms: f64, status: &str) -> Frame {
        let clean = |text: &str| term::printable(text).into_owned();
        let (digits, phase, words) = match countdown(state) {
            Some(countdown) => {
                let shown = countdown.at(server_now_ms);
                (shown.digits, shown.phase.as_str().to_owned(), shown.words)
            }
            None => (
                display::digits(state.remaining_ms),
                clean(&state.phase),
                String::new(),
            ),
        };
        let finished = phase == "finished";
        Frame {
            digits: if finished { "Finished".into() } else { digits },
            words,
            position: format!("{}/{}", state.index + 1, state.segments),
            title: clean(if finished {
                &state.title
            } else {
                &state.segment.title
            }),
            speaker: state
                .segment
                .speaker
                .as_deref()
                .filter(|_| !finished)
                .map(clean),
            next: state
                .next
                .as_ref()
                .filter(|_| !finished)
                .map(|n| match &n.speaker {
                    Some(s) => format!("Next: {} — {}", clean(&n.title), clean(s)),
                    None => format!("Next: {}", clean(&n.title)),
                }),
            message: clean(&state.message),
            status: clean(status),
            blackout: state.blackout,
            focus: state.focus,
            phase,
        }
    }

    /// One line for a log or a pipe: `[1/3] Opening — Chair  1:59  running  ✉ Wrap up`; a pause
    /// in overtime says how far over (`+1:20  paused — over by 1:20`); message only is the
    /// message alone (`✉ Wrap up`).
    pub fn line(&self) -> String {
        if self.focus && !self.blackout {
            let mut line = format!("✉ {}", self.message).trim_end().to_owned();
            if !self.status.is_empty() {
                line.push_str(&format!("  ({})", self.status));
            }
            return line;
        }
        let mut line = format!("[{}] {}", self.position, self.title);
        if let Some(speaker) = &self.speaker {
            line.push_str(&format!(" — {speaker}"));
        }
        line.push_str(&format!("  {}  {}", self.digits, self.phase));
        if let Some(over) = self
            .words
            .strip_prefix("Paused — ")
            .filter(|_| self.phase == "paused")
        {
            line.push_str(&format!(" — {over}"));
        }
        if !self.message.is_empty() {
            line.push_str(&format!("  ✉ {}", self.message));
        }
        if self.blackout {
            line.push_str("  (blackout)");
        }
        if !self.status.is_empty() {
            line.push_str(&format!("  ({})", self.status));
        }
        line
    }
}

/// A 5-row block font for the countdown's characters.
const FONT_ROWS: usize = 5;

fn glyph(c: char) -> [&'static str; FONT_ROWS] {
    match c {
        '0' => ["███", "█ █", "█ █", "█ █", "███"],
        '1' => [" █ ", "██ ", " █ ", " █ ", "███"],
        '2' => ["███", "  █", "███", "█  ", "███"],
        '3' => ["███", "  █", "███", "  █", "███"],
        '4' => ["█ █", "█ █", "███", "  █", "  █"],
        '5' => ["███", "█  ", "███", "  █", "███"],
        '6' => ["███", "█  ", "███", "█ █", "███"],
        '7' => ["███", "  █", "  █", "  █", "  █"],
        '8' => ["███", "█ █", "███", "█ █", "███"],
        '9' => ["███", "█ █", "███", "  █", "███"],
        ':' => ["   ", " █ ", "   ", " █ ", "   "],
        '+' => ["   ", " █ ", "███", " █ ", "   "],
        _ => ["   ", "   ", "   ", "   ", "   "],
    }
}

/// `text` in the block font, each glyph doubled in width (cells are twice as tall as wide), or
/// `None` for text the font cannot show (words).
pub fn big(text: &str) -> Option<Vec<String>> {
    if !text
        .chars()
        .all(|c| c.is_ascii_digit() || c == ':' || c == '+')
    {
        return None;
    }
    Some(
        (0..FONT_ROWS)
            .map(|row| {
                text.chars()
                    .map(|c| {
                        glyph(c)[row]
                            .chars()
                            .flat_map(|p| [p, p])
                            .collect::<String>()
                    })
                    .collect::<Vec<_>>()
                    .join("  ")
            })
            .collect(),
    )
}

/// The digits' colour for a phase; over-max blinks by alternating with the default each second.
fn phase_colour(phase: &str, digits: &str) -> Color {
    match phase {
        "running" => Color::Green,
        "warning" => Color::Yellow,
        "overtime" | "stopped" => Color::Red,
        "over-max" => {
            let odd = digits
                .chars()
                .last()
                .and_then(|c| c.to_digit(10))
                .unwrap_or(0)
                % 2
                == 1;
            if odd { Color::DarkRed } else { Color::Red }
        }
        "paused" => Color::Cyan,
        _ => Color::Grey,
    }
}

/// Draws `frame` full-screen on a terminal of `cols` × `rows`: big digits when they fit.
pub fn draw(out: &mut impl Write, frame: &Frame, (cols, rows): (u16, u16)) -> std::io::Result<()> {
    let (cols, rows) = (usize::from(cols), usize::from(rows));
    if frame.blackout {
        queue!(out, terminal::Clear(terminal::ClearType::All))?;
        if !frame.status.is_empty() {
            queue!(out, cursor::MoveTo(0, 0), Print(&frame.status))?;
        }
        return out.flush();
    }
    if frame.focus {
        return draw_message_only(out, frame, (cols, rows));
    }
    let colour = phase_colour(&frame.phase, &frame.digits);
    // (text, colour, bold), top to bottom.
    let mut lines: Vec<(String, Option<Color>, bool)> = vec![
        (format!("[{}] {}", frame.position, frame.title), None, true),
        (frame.speaker.clone().unwrap_or_default(), None, false),
        (String::new(), None, false),
    ];
    let big = big(&frame.digits)
        .filter(|b| b.first().is_some_and(|r| r.chars().count() <= cols) && rows >= FONT_ROWS + 8);
    match big {
        Some(big) => lines.extend(big.into_iter().map(|row| (row, Some(colour), false))),
        None => lines.push((frame.digits.clone(), Some(colour), true)),
    }
    lines.push((String::new(), None, false));
    let words = if frame.words.is_empty() {
        &frame.phase
    } else {
        &frame.words
    };
    lines.push((words.clone(), Some(colour), false));
    if !frame.message.is_empty() {
        lines.push((format!("✉ {}", frame.message), Some(Color::White), true));
    }
    lines.push((
        frame.next.clone().unwrap_or_default(),
        Some(Color::DarkGrey),
        false,
    ));
    if !frame.status.is_empty() {
        lines.push((frame.status.clone(), Some(Color::Magenta), true));
    }
    queue!(out, terminal::Clear(terminal::ClearType::All))?;
    for (row, (text, colour, bold)) in lines.into_iter().take(rows).enumerate() {
        let text: String = text.chars().take(cols).collect();
        let column = cols.saturating_sub(text.chars().count()) / 2;
        let (column, row) = (
            u16::try_from(column).unwrap_or(0),
            u16::try_from(row).unwrap_or(0),
        );
        queue!(out, cursor::MoveTo(column, row))?;
        if let Some(colour) = colour {
            queue!(out, SetForegroundColor(colour))?;
        }
        if bold {
            queue!(out, SetAttribute(Attribute::Bold))?;
        }
        queue!(out, Print(text), SetAttribute(Attribute::Reset), ResetColor)?;
    }
    out.flush()
}

/// Message only: the message, wrapped to the width and centred on the screen, and the status.
fn draw_message_only(
    out: &mut impl Write,
    frame: &Frame,
    (cols, rows): (usize, usize),
) -> std::io::Result<()> {
    let mut lines = wrap(&frame.message, cols.saturating_sub(4).max(1));
    lines.truncate(rows.saturating_sub(2).max(1));
    let top = rows.saturating_sub(lines.len()) / 2;
    queue!(out, terminal::Clear(terminal::ClearType::All))?;
    for (i, text) in lines.iter().enumerate() {
        let column = cols.saturating_sub(text.chars().count()) / 2;
        queue!(
            out,
            cursor::MoveTo(
                u16::try_from(column).unwrap_or(0),
                u16::try_from(top + i).unwrap_or(0)
            ),
            SetForegroundColor(Color::White),
            SetAttribute(Attribute::Bold),
            Print(text),
            SetAttribute(Attribute::Reset),
            ResetColor
        )?;
    }
    if !frame.status.is_empty() {
        let status: String = frame.status.chars().take(cols).collect();
        queue!(
            out,
            cursor::MoveTo(0, u16::try_from(rows.saturating_sub(1)).unwrap_or(0)),
            SetForegroundColor(Color::Magenta),
            Print(status),
            ResetColor
        )?;
    }
    out.flush()
}

/// `text` in lines of at most `width` characters, broken at spaces where it can be.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let mut word = word.to_owned();
        loop {
            let have = line.chars().count();
            let need = word.chars().count() + usize::from(have > 0);
            if have + need <= width {
                if have > 0 {
                    line.push(' ');
                }
                line.push_str(&word);
                break;
            }
            if have > 0 {
                lines.push(std::mem::take(&mut line));
                continue;
            }
            // A word longer than the line: cut it.
            let head: String = word.chars().take(width).collect();
            word = word.chars().skip(width).collect();
            lines.push(head);
            if word.is_empty() {
                break;
            }
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{NextIn, SegmentIn};

    const NOW: f64 = 1_732_435_200_000.0;

    /// A running 5:00 segment with a 2:00 warning and a hard limit at 7:00.
    fn running(ends_in_ms: f64) -> StateIn {
        StateIn {
            seq: 3,
            server_time_ms: NOW,
            title: "Show".into(),
            phase: "running".into(),
            index: 0,
            segments: 3,
            segment: SegmentIn {
                title: "Talk".into(),
                speaker: Some("Neha".into()),
                duration_ms: 300_000.0,
                max_ms: Some(420_000.0),
                warn_ms: Some(120_000.0),
                on_end: None,
            },
            remaining_ms: ends_in_ms,
            ends_at_ms: Some(NOW + ends_in_ms),
            speed: 1.0,
            next: Some(NextIn {
                title: "Q&A".into(),
                speaker: None,
            }),
            message: String::new(),
            blackout: false,
            focus: false,
        }
    }

    /// The wire state, read the way `podium follow` reads it, shows what the shared table says
    /// (`tests/cases/display.json`, also read by the page's tests and by `podium_core::display`).
    #[test]
    fn the_wire_state_follows_the_shared_table() {
        let table: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/cases/display.json"))
                .expect("the shared table is JSON");
        let cases = table["countdown"].as_array().expect("countdown cases");
        assert!(cases.len() >= 60);
        for case in cases {
            let name = case["name"].as_str().expect("name");
            let mut wire = serde_json::json!({
                "type": "state", "seq": 1, "server_time_ms": 0, "title": "Show", "index": 0,
                "segments": 2, "next": null, "message": ""
            });
            for (key, value) in case["state"].as_object().expect("state") {
                wire[key] = value.clone();
            }
            wire["segment"]["title"] = "Talk".into();
            wire["segment"]["speaker"] = serde_json::Value::Null;
            let state: StateIn = serde_json::from_value(wire).expect("a wire state");
            let now = case["now_ms"].as_f64().expect("now_ms");
            let frame = Frame::of(&state, now, "");
            let want = case["digits"].as_str().expect("digits");
            let want = if case["phase"] == "finished" {
                "Finished"
            } else {
                want
            };
            assert_eq!(frame.digits, want, "{name}");
            assert_eq!(
                frame.phase,
                case["phase"].as_str().expect("phase"),
                "{name}"
            );
            assert_eq!(
                frame.words,
                case["words"].as_str().expect("words"),
                "{name}"
            );
            match (
                ms_until_next_change(&state, now),
                case["next_change_in_ms"].as_f64(),
            ) {
                (Some(got), Some(want)) => assert!((got - want).abs() < 1e-9, "{name}: {got}"),
                (got, want) => assert_eq!(got, want, "{name}"),
            }
        }
    }

    /// A phase from a newer server is shown as sent, with the remaining time as sent.
    #[test]
    fn an_unknown_phase_is_shown_as_sent() {
        let mut s = running(65_000.0);
        s.phase = "intermission\x1b[2J".into();
        let f = Frame::of(&s, NOW + 10_000.0, "");
        assert_eq!(
            (f.digits.as_str(), f.phase.as_str()),
            ("1:05", "intermission[2J")
        );
        assert_eq!(ms_until_next_change(&s, NOW), None);
    }

    #[test]
    fn following_the_next_change_shows_every_second_once() {
        let s = running(3_000.0);
        let mut now = NOW + 400.0;
        let mut shown = Vec::new();
        while now <= NOW + 6_000.0 {
            let f = Frame::of(&s, now, "");
            if shown.last() != Some(&(f.digits.clone(), f.phase.clone())) {
                shown.push((f.digits, f.phase));
            }
            now += ms_until_next_change(&s, now).expect("ticking").ceil();
        }
        let texts: Vec<&str> = shown.iter().map(|(d, _)| d.as_str()).collect();
        assert_eq!(
            texts,
            ["0:03", "0:02", "0:01", "0:00", "+0:01", "+0:02", "+0:03"]
        );
        assert_eq!(shown[3].1, "overtime");
        // At speed 60 a show second is 1000/60 real ms.
        let mut fast = running(5_000.0);
        fast.speed = 60.0;
        let wait = ms_until_next_change(&fast, NOW).expect("ticking");
        assert!((wait - 1000.0 / 60.0).abs() < 1e-9);
    }

    #[test]
    fn a_frame_reads_as_one_line() {
        let mut s = running(65_000.0);
        s.message = "Wrap up".into();
        let f = Frame::of(&s, NOW, "");
        assert_eq!(f.line(), "[1/3] Talk — Neha  1:05  warning  ✉ Wrap up");
        assert_eq!(f.next.as_deref(), Some("Next: Q&A"));
        s.phase = "finished".into();
        s.ends_at_ms = None;
        let f = Frame::of(&s, NOW, "reconnecting…");
        assert_eq!(
            f.line(),
            "[1/3] Show  Finished  finished  ✉ Wrap up  (reconnecting…)"
        );
    }

    /// Issue 10: a pause in overtime keeps the "over by" wording, in the line and on screen.
    #[test]
    fn a_pause_in_overtime_says_how_far_over() {
        let mut s = running(0.0);
        s.phase = "paused".into();
        s.ends_at_ms = None;
        s.remaining_ms = -80_500.0;
        let f = Frame::of(&s, NOW, "");
        assert_eq!(f.line(), "[1/3] Talk — Neha  +1:20  paused — over by 1:20");
        let mut out = Vec::new();
        draw(&mut out, &f, (80, 24)).expect("drawn into a buffer");
        assert!(String::from_utf8_lossy(&out).contains("Paused — over by 1:20"));
        s.remaining_ms = 42_000.0;
        assert_eq!(
            Frame::of(&s, NOW, "").line(),
            "[1/3] Talk — Neha  0:42  paused"
        );
    }

    /// Issue 10: message only shows the message and nothing else, in a pipe and on screen.
    #[test]
    fn message_only_shows_only_the_message() {
        let mut s = running(65_000.0);
        s.message = "Your microphone is muted, please unmute it now".into();
        s.focus = true;
        let f = Frame::of(&s, NOW, "");
        assert_eq!(f.line(), "✉ Your microphone is muted, please unmute it now");
        let mut out = Vec::new();
        draw(&mut out, &f, (30, 10)).expect("drawn into a buffer");
        let text = String::from_utf8_lossy(&out);
        for word in ["Your microphone is muted,", "please unmute it now"] {
            assert!(text.contains(word), "wrapped at a space: {text:?}");
        }
        assert!(!text.contains("Talk") && !text.contains("1:05"), "{text:?}");
        assert_eq!(wrap("abcdefgh ij", 4), ["abcd", "efgh", "ij"]);
    }

    /// Issue 10: escape sequences in the state's text never reach the terminal.
    #[test]
    fn text_from_the_wire_is_printable() {
        let mut s = running(65_000.0);
        s.segment.title = "Talk\x1b]52;c;ZWNobyBwd25lZA==\x07".into();
        s.segment.speaker = Some("Neha\x1b[6n\u{9b}31m".into());
        s.next = Some(NextIn {
            title: "Q&A\x1b]0;x\x07".into(),
            speaker: Some("\x1b[1;1HChair".into()),
        });
        s.message = "Wrap\x1b[2K up".into();
        let f = Frame::of(&s, NOW, "server: bye\x1b[6n");
        assert!(!f.line().chars().any(char::is_control), "{:?}", f.line());
        assert!(
            f.line()
                .starts_with("[1/3] Talk]52;c;ZWNobyBwd25lZA== — Neha[6n31m")
        );
        for size in [(80, 24), (20, 8)] {
            let mut out = Vec::new();
            draw(&mut out, &f, size).expect("drawn into a buffer");
            let text = String::from_utf8_lossy(&out);
            for bad in ["\x1b]", "\x07", "\x1b[6n", "\u{9b}", "\x1b[2K"] {
                assert!(!text.contains(bad), "{bad:?} printed: {text:?}");
            }
        }
        s.focus = true;
        let mut out = Vec::new();
        draw(&mut out, &Frame::of(&s, NOW, ""), (80, 24)).expect("drawn into a buffer");
        assert!(!String::from_utf8_lossy(&out).contains("\x1b[2K"));
    }

    #[test]
    fn big_digits_have_five_even_rows() {
        let rows = big("+12:05").expect("the font has these");
        assert_eq!(rows.len(), FONT_ROWS);
        let width = rows[0].chars().count();
        assert!(rows.iter().all(|r| r.chars().count() == width));
        assert_eq!(width, 6 * 6 + 5 * 2);
        assert!(big("Finished").is_none());
        let mut out = Vec::new();
        let frame = Frame::of(&running(61_000.0), NOW, "");
        draw(&mut out, &frame, (80, 24)).expect("drawn into a buffer");
        let text = String::from_utf8_lossy(&out);
        assert!(text.contains("██████"), "big digits drawn");
        let mut out = Vec::new();
        draw(&mut out, &frame, (20, 8)).expect("drawn into a buffer");
        assert!(
            String::from_utf8_lossy(&out).contains("1:01"),
            "small terminal: plain digits"
        );
    }
}
