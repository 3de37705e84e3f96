//! The moderator's terminal: one status line (segment, remaining time, phase, schedule offset),
//! single keys mapped to engine commands, and alert lines printed above the status line. Only
//! created when stdin is a terminal (crossterm's event stream panics otherwise).

use std::io::{Write, stdout};
use std::time::Duration;

use crossterm::event::{
    Event as TermEvent, EventStream, KeyCode, KeyEvent, KeyEventKind, KeyModifiers,
};
use crossterm::style::Stylize;
use crossterm::{cursor, queue, terminal};
use futures_util::StreamExt;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use crate::alerts;
use crate::controller::Handle;
use crate::engine::{Command, Event, Phase};
use crate::journal;
use crate::protocol::MAX_MESSAGE_CHARS;
use crate::report::Report;

const KEYS: &str = "space start/pause · n next · p previous · +/- 1 min · f fit to the end · m message · \
                    b blackout · o message only · q quit";

/// `5:00`, `0:00`, `+1:20`: the same rounding as the speaker page (docs/protocol.md).
pub fn format_countdown(remaining_ms: i64) -> String {
    let (sign, secs) = if remaining_ms > 0 {
        ("", (remaining_ms + 999) / 1000)
    } else if remaining_ms > -1000 {
        ("", 0)
    } else {
        ("+", -remaining_ms / 1000)
    };
    if secs >= 3600 {
        format!(
            "{sign}{}:{:02}:{:02}",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )
    } else {
        format!("{sign}{}:{:02}", secs / 60, secs % 60)
    }
}

/// `3:20 behind`, `1:05 ahead`, `on time`.
pub fn format_offset(offset_ms: i64) -> String {
    let secs = offset_ms.abs() / 1000;
    if secs == 0 {
        return "on time".into();
    }
    let word = if offset_ms > 0 { "behind" } else { "ahead" };
    format!("{}:{:02} {word}", secs / 60, secs % 60)
}

/// The phase as the status line names it: `running`, `paused`; a pause in overtime keeps saying
/// how far over, `paused — over by 1:20` (like the page and `podium follow`; issue 10).
pub fn phase_text(phase: Phase, remaining_ms: i64) -> String {
    if matches!(phase, Phase::Paused) && remaining_ms <= -1000 {
        let over = format_countdown(remaining_ms);
        format!("paused — over by {}", over.trim_start_matches('+'))
    } else {
        phase.as_str().to_owned()
    }
}

/// `ends 2:00 early`, `ends 3:20 late`, `ends on time` (against the session's `end`).
pub fn format_slack(slack_ms: i64) -> String {
    let secs = slack_ms.abs() / 1000;
    match secs {
        0 => "ends on time".into(),
        _ if slack_ms > 0 => format!("ends {}:{:02} early", secs / 60, secs % 60),
        _ => format!("ends {}:{:02} late", secs / 60, secs % 60),
    }
}

enum Mode {
    Keys,
    Message(String),
    ConfirmQuit,
}

/// Restores the terminal however the console ends.
struct RawMode;

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = terminal::disable_raw_mode();
        let mut out = stdout();
        let _ = queue!(
            out,
            cursor::MoveToColumn(0),
            terminal::Clear(terminal::ClearType::CurrentLine)
        );
        let _ = out.flush();
    }
}

/// Runs the terminal until the moderator quits (then cancels `shutdown`) or `shutdown` fires.
pub async fn run(control: Handle, shutdown: CancellationToken) -> std::io::Result<()> {
    terminal::enable_raw_mode()?;
    let _raw = RawMode;
    let mut keys = EventStream::new();
    let mut events = control.events();
    let mut redraw = tokio::time::interval(Duration::from_millis(100));
    let mut mode = Mode::Keys;
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = redraw.tick() => {}
            event = events.recv() => match event {
                Ok(event) => {
                    if let Some(alert) = alerts::describe(control.show(), &event) {
                        let line = format!("{} — {}", alert.summary, alert.body);
                        print_line(&line.bold().red().to_string())?;
                    }
                    if event == Event::Finished {
                        print_report(&control)?;
                    }
                }
                Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => break,
            },
            key = keys.next() => match key {
                Some(Ok(TermEvent::Key(key))) if key.kind != KeyEventKind::Release => {
                    if let Some(cmd) = on_key(key, &mut mode, &control, &shutdown) {
                        match control.command(cmd).await {
                            Ok(Ok(_)) => {}
                            Ok(Err(refused)) => print_line(&format!("refused: {refused}").yellow().to_string())?,
                            Err(_) => break,
                        }
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => break,
            },
        }
        draw(&control, &mode)?;
    }
    Ok(())
}

fn on_key(
    key: KeyEvent,
    mode: &mut Mode,
    control: &Handle,
    shutdown: &CancellationToken,
) -> Option<Command> {
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
        shutdown.cancel();
        return None;
    }
    match mode {
        Mode::Message(text) => match key.code {
            KeyCode::Enter => {
                let text = std::mem::take(text);
                *mode = Mode::Keys;
                return Some(Command::Message(text.trim().to_owned()));
            }
            KeyCode::Esc => *mode = Mode::Keys,
            KeyCode::Backspace => {
                text.pop();
            }
            KeyCode::Char(c) if text.chars().count() < MAX_MESSAGE_CHARS => text.push(c),
            _ => {}
        },
        Mode::ConfirmQuit => {
            if key.code == KeyCode::Char('y') {
                shutdown.cancel();
            }
            *mode = Mode::Keys;
        }
        Mode::Keys => match key.code {
            KeyCode::Char(' ') => return Some(Command::Toggle),
            KeyCode::Char('n') => return Some(Command::Next),
            KeyCode::Char('p') => return Some(Command::Previous),
            KeyCode::Char('+') | KeyCode::Char('=') => return Some(Command::Adjust(60)),
            KeyCode::Char('-') => return Some(Command::Adjust(-60)),
            KeyCode::Char('f') => return Some(Command::Fit),
            KeyCode::Char('m') => *mode = Mode::Message(String::new()),
            KeyCode::Char('b') => {
                return Some(Command::Blackout(
                    !control.subscribe().borrow().snapshot.blackout,
                ));
            }
            KeyCode::Char('o') => {
                return Some(Command::Focus(!control.subscribe().borrow().snapshot.focus));
            }
            KeyCode::Char('q') => {
                let phase = control.subscribe().borrow().snapshot.phase;
                if phase.is_running() || matches!(phase, Phase::Paused | Phase::Stopped) {
                    *mode = Mode::ConfirmQuit;
                } else {
                    shutdown.cancel();
                }
            }
            _ => {}
        },
    }
    None
}

fn draw(control: &Handle, mode: &Mode) -> std::io::Result<()> {
    let line = match mode {
        Mode::Message(text) => {
            format!("message to the speaker (Enter sends, empty clears, Esc cancels): {text}")
        }
        Mode::ConfirmQuit => "The show is running. Quit? y/N".bold().to_string(),
        Mode::Keys => status_line(control),
    };
    rewrite_line(&line)
}

fn status_line(control: &Handle) -> String {
    let published = control.subscribe().borrow().clone();
    let snap = &published.snapshot;
    let show = control.show();
    let seg = &show.segments[snap.index];
    let now = control.clock().now();
    let remaining = snap.deadline.map_or(snap.remaining_ms, |d| d.0 - now.0);
    let phase = snap.phase;
    let clock = format_countdown(remaining);
    let clock = match phase {
        Phase::Warning => clock.black().on_yellow().bold(),
        Phase::Overtime | Phase::OverMax | Phase::Stopped => clock.white().on_red().bold(),
        _ => clock.bold(),
    };
    let width = terminal::size().map(|(w, _)| w as usize).unwrap_or(100);
    let mut title = format!("[{}/{}] {}", snap.index + 1, show.segments.len(), seg.title);
    if title.chars().count() > 40 {
        title = title.chars().take(39).collect::<String>() + "…";
    }
    let mut line = format!(
        "{title}  {clock}  {}  {}",
        phase_text(phase, remaining),
        format_offset(snap.schedule_offset_at(now))
    );
    if let Some(slack) = snap.slack_ms {
        line.push_str(&format!("  {}", format_slack(slack)));
    }
    if snap.blackout {
        line.push_str("  [blackout]");
    } else if snap.focus {
        line.push_str("  [message only]");
    }
    if !snap.message.is_empty() {
        line.push_str(&format!("  ✉ {}", snap.message));
    }
    if width > 150 {
        line.push_str(&format!("   ({KEYS})"));
    }
    line
}

/// At the end of the show: the report so far, and where the journal is.
fn print_report(control: &Handle) -> std::io::Result<()> {
    let Some(path) = control.journal_path() else {
        return Ok(());
    };
    match journal::read(path) {
        Ok(recorded) => {
            for line in Report::from_journal(&recorded).markdown().lines() {
                print_line(line)?;
            }
            print_line(&format!("journal: {} — q quits", path.display()))
        }
        Err(e) => print_line(&format!("cannot read the journal back: {e}")),
    }
}

/// Prints a line above the status line.
fn print_line(text: &str) -> std::io::Result<()> {
    rewrite_line(&format!("{text}\r\n"))
}

/// Replaces the terminal's current line with `text`.
fn rewrite_line(text: &str) -> std::io::Result<()> {
    let mut out = stdout();
    queue!(
        out,
        cursor::MoveToColumn(0),
        terminal::Clear(terminal::ClearType::CurrentLine)
    )?;
    write!(out, "{text}")?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countdown_follows_the_display_rules() {
        assert_eq!(format_countdown(300_000), "5:00");
        assert_eq!(format_countdown(299_001), "5:00");
        assert_eq!(format_countdown(299_000), "4:59");
        assert_eq!(format_countdown(1), "0:01");
        assert_eq!(format_countdown(0), "0:00");
        assert_eq!(format_countdown(-999), "0:00");
        assert_eq!(format_countdown(-1000), "+0:01");
        assert_eq!(format_countdown(-80_500), "+1:20");
        assert_eq!(format_countdown(3_600_000), "1:00:00");
    }

    #[test]
    fn a_pause_in_overtime_says_how_far_over() {
        assert_eq!(phase_text(Phase::Paused, -80_500), "paused — over by 1:20");
        assert_eq!(phase_text(Phase::Paused, -1_000), "paused — over by 0:01");
        assert_eq!(phase_text(Phase::Paused, -999), "paused");
        assert_eq!(phase_text(Phase::Paused, 42_000), "paused");
        assert_eq!(phase_text(Phase::Overtime, -80_500), "overtime");
    }

    #[test]
    fn offsets_read_naturally() {
        assert_eq!(format_offset(200_000), "3:20 behind");
        assert_eq!(format_offset(-65_000), "1:05 ahead");
        assert_eq!(format_offset(400), "on time");
    }

    #[test]
    fn slack_reads_naturally() {
        assert_eq!(format_slack(120_000), "ends 2:00 early");
        assert_eq!(format_slack(-200_000), "ends 3:20 late");
        assert_eq!(format_slack(-400), "ends on time");
    }
}
