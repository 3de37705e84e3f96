//! The moderator's terminal: one status line (segment, remaining time, phase, schedule offset),
//! single keys mapped to engine commands, and alert lines printed above the status line. Only
//! created when stdin is a terminal (crossterm's event stream panics otherwise).
//!
//! The status line is cut to the terminal's width (by display width, following resizes) and
//! redrawn in place, so it never wraps and never scrolls the alerts away. Everything from the show
//! (titles, speakers, messages) goes through [`printable`] before it reaches the terminal. A
//! terminal that goes away (hangup, closed, unwritable) ends only the console: [`run`] says so
//! with [`Ended::Lost`] and the show goes on headless.

use std::io::{Write, stdout};
use std::time::Duration;

use crossterm::event::{
    Event as TermEvent, EventStream, KeyCode, KeyEvent, KeyEventKind, KeyModifiers,
};
use crossterm::style::{ContentStyle, Stylize};
use crossterm::{cursor, queue, terminal};
use futures_util::StreamExt;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::alerts;
use crate::controller::Handle;
use crate::engine::{Command, Event, Message, Phase};
use crate::journal;
use crate::journal::JournalNotice;
use crate::protocol::MAX_MESSAGE_CHARS;
use crate::report::Report;
use crate::show::Show;
use crate::term::printable;
use podium_core::display::{self, Countdown, Shown};

const KEYS: &str = "space start/pause · n next · p previous · +/- 1 min · f fit to the end · m message · \
                    1-9 preset · b blackout · o message only · ? keys · q quit";

/// The longest a preset is shown in the list of keys (the speaker sees it whole).
const PRESET_COLUMNS: usize = 28;

/// The keys and the session's presets (key `N` sends preset `N`), as lines of at most `width`
/// columns, cut between items: printed when the terminal starts, on `?`, and when Tab selects a
/// room, so that a moderator at 80×24 sees them without a wide status line.
fn help_lines(show: &Show, width: usize) -> Vec<String> {
    let width = width.max(20);
    let keys = KEYS.split(" · ").map(str::to_owned);
    let presets = show
        .messages
        .presets
        .iter()
        .enumerate()
        .map(|(i, p)| format!("{} {}", i + 1, fit(&printable(&p.text), PRESET_COLUMNS)));
    let mut lines = Vec::new();
    for (head, items) in [
        ("keys: ", keys.collect::<Vec<_>>()),
        ("presets: ", presets.collect()),
    ] {
        let mut line = head.to_owned();
        let mut first = true;
        for item in items {
            let sep = if first { "" } else { " · " };
            if !first && line.width() + sep.width() + item.width() > width {
                lines.push(std::mem::take(&mut line));
                line = format!("  {item}");
            } else {
                line.push_str(sep);
                line.push_str(&item);
            }
            first = false;
        }
        lines.push(line);
    }
    lines
}

/// The phase as the status line names it: `running`, `paused`; a pause in overtime keeps saying
/// how far over, `paused — over by 1:20` (like the page and `podium follow`; issue 10).
fn phase_text(shown: &Shown) -> String {
    match shown.words.strip_prefix("Paused — ") {
        Some(over) if shown.phase == Phase::Paused => format!("paused — {over}"),
        _ => shown.phase.as_str().to_owned(),
    }
}

enum Mode {
    Keys,
    Message(String),
    ConfirmQuit,
}

/// How the terminal's part in a run ended.
#[derive(Debug)]
pub enum Ended {
    /// The show is shutting down (the moderator quit, a signal, the controller stopped).
    Shutdown,
    /// The terminal went away (hung up, closed, unreadable or unwritable): the show goes on
    /// headless. The text says what happened, for the log.
    Lost(String),
}

/// Restores the terminal however the console ends. Every step may fail on a terminal that has
/// gone away; none of that matters then.
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

/// If the terminal on stdin is in raw mode (left so by a run killed with SIGKILL, which no program
/// can catch), puts it back in ordinary cooked mode: line editing, echo, signals from Ctrl-C and
/// newline translation. Without this the banner prints as a staircase and, worse, the raw mode
/// would be taken for the terminal's own and restored on quit. Returns whether it had to.
pub fn cook_if_raw() -> bool {
    use rustix::termios::{self, InputModes, LocalModes, OptionalActions, OutputModes};
    let stdin = std::io::stdin();
    let Ok(mut modes) = termios::tcgetattr(&stdin) else {
        return false;
    };
    let cooked_local = LocalModes::ICANON | LocalModes::ECHO | LocalModes::ISIG;
    if modes.local_modes.contains(cooked_local) && modes.output_modes.contains(OutputModes::OPOST) {
        return false;
    }
    // What `cfmakeraw` (crossterm's raw mode) clears, set back as `stty sane` would.
    modes.local_modes |= cooked_local | LocalModes::ECHOE | LocalModes::ECHOK | LocalModes::IEXTEN;
    modes.local_modes -= LocalModes::ECHONL;
    modes.input_modes |= InputModes::ICRNL | InputModes::IXON | InputModes::BRKINT;
    modes.input_modes -= InputModes::INLCR
        | InputModes::IGNCR
        | InputModes::ISTRIP
        | InputModes::PARMRK
        | InputModes::IGNBRK;
    modes.output_modes |= OutputModes::OPOST | OutputModes::ONLCR;
    termios::tcsetattr(&stdin, OptionalActions::Now, &modes).is_ok()
}

/// Runs the terminal until the moderator quits (then cancels `shutdown`), `shutdown` fires, or
/// the terminal is lost: `hangup` fires (SIGHUP), or a key cannot be read or a line written.
pub async fn run(control: Handle, shutdown: CancellationToken, hangup: CancellationToken) -> Ended {
    run_rooms(vec![(String::new(), control)], shutdown, hangup).await
}

/// [`run`] for an event's rooms `(id, controller)`: the keys act on one selected room, Tab
/// selects the next (Shift-Tab the previous), and the status line begins with its id. One key
/// stays one command for one room; the organiser's overview page is for seeing every room.
pub async fn run_rooms(
    rooms: Vec<(String, Handle)>,
    shutdown: CancellationToken,
    hangup: CancellationToken,
) -> Ended {
    let Some((first_id, first)) = rooms.first().cloned() else {
        return Ended::Shutdown;
    };
    let (mut label, mut control) = (first_id, first);
    let mut selected = 0;
    if let Err(e) = terminal::enable_raw_mode() {
        return Ended::Lost(format!("cannot put the terminal in raw mode: {e}"));
    }
    let _raw = RawMode;
    let mut screen = Screen::new();
    let mut keys = EventStream::new();
    let mut events = control.events();
    let mut journal_notices = control.journal_notices();
    // The session file's changes on disk, offered (issue 14): `a` applies, `d` dismisses.
    let mut file_changes = control.file().map(|link| link.subscribe());
    let mut redraw = tokio::time::interval(Duration::from_millis(100));
    let mut mode = Mode::Keys;
    let lost = |what: &str, e: std::io::Error| Ended::Lost(format!("{what}: {e}"));
    if let Err(e) = print_help(&mut screen, &control) {
        return lost("cannot write to the terminal", e);
    }
    loop {
        let mut switch: Option<usize> = None;
        tokio::select! {
            _ = shutdown.cancelled() => return Ended::Shutdown,
            _ = hangup.cancelled() => return Ended::Lost("the terminal hung up (SIGHUP)".into()),
            _ = redraw.tick() => {}
            event = events.recv() => match event {
                Ok(event) => {
                    if let Some(alert) = alerts::describe(&control.current_show(), &event) {
                        let line = format!("{} — {}", alert.summary, alert.body);
                        if let Err(e) = screen.print(&line.bold().red().to_string()) {
                            return lost("cannot write to the terminal", e);
                        }
                    }
                    if event == Event::Finished
                        && let Err(e) = print_report(&control, &mut screen)
                    {
                        return lost("cannot write to the terminal", e);
                    }
                }
                Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return Ended::Shutdown,
            },
            // Journal trouble (a full disk) is repeated by the controller while it lasts.
            notice = journal_notices.recv() => match notice {
                Ok(notice) => {
                    let alert = alerts::describe_journal(&notice);
                    let line = format!("{} — {}", alert.summary, alert.body);
                    let line = match notice {
                        JournalNotice::Failing(_) | JournalNotice::Unreplicated { .. } => {
                            line.bold().white().on_red().to_string()
                        }
                        JournalNotice::Recovered { .. } | JournalNotice::Replicated { .. } => {
                            line.green().to_string()
                        }
                    };
                    if let Err(e) = screen.print(&line) {
                        return lost("cannot write to the terminal", e);
                    }
                }
                Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return Ended::Shutdown,
            },
            changed = file_changed(&mut file_changes) => {
                if changed.is_err() {
                    file_changes = None;
                } else if let Some(link) = control.file()
                    && let Err(e) = print_file(&mut screen, &link.view())
                {
                    return lost("cannot write to the terminal", e);
                }
            }
            key = keys.next() => match key {
                Some(Ok(TermEvent::Key(key)))
                    if key.kind != KeyEventKind::Release
                        && matches!(mode, Mode::Keys)
                        && matches!(key.code, KeyCode::Char('a' | 'd'))
                        && control.file().is_some_and(|l| {
                            let view = l.view();
                            view.offer.is_some() || view.problem.is_some()
                        }) =>
                {
                    let Some(link) = control.file().cloned() else { continue };
                    let line = if key.code == KeyCode::Char('d') {
                        link.dismiss();
                        "the session file's changes were dismissed: the show goes on as it is"
                            .to_owned()
                    } else {
                        match crate::session_file::apply_offer(&control, &link).await {
                            Ok(_) => "the session file's changes were applied".to_owned(),
                            Err(why) => why,
                        }
                    };
                    if let Err(e) = screen.print(&printable(&line).yellow().to_string()) {
                        return lost("cannot write to the terminal", e);
                    }
                }
                Some(Ok(TermEvent::Key(key)))
                    if key.kind != KeyEventKind::Release
                        && matches!(mode, Mode::Keys)
                        && matches!(key.code, KeyCode::Tab | KeyCode::BackTab)
                        && rooms.len() > 1 =>
                {
                    let n = rooms.len();
                    switch = Some(if key.code == KeyCode::Tab {
                        (selected + 1) % n
                    } else {
                        (selected + n - 1) % n
                    });
                }
                Some(Ok(TermEvent::Key(key)))
                    if key.kind != KeyEventKind::Release
                        && matches!(mode, Mode::Keys)
                        && key.code == KeyCode::Char('?') =>
                {
                    if let Err(e) = print_help(&mut screen, &control) {
                        return lost("cannot write to the terminal", e);
                    }
                }
                Some(Ok(TermEvent::Key(key))) if key.kind != KeyEventKind::Release => {
                    if let Some(cmd) = on_key(key, &mut mode, &control, &shutdown) {
                        match control.command(cmd).await {
                            Ok(Ok(_)) => {}
                            Ok(Err(refused)) => {
                                let line = format!("refused: {}", printable(&refused.to_string()));
                                if let Err(e) = screen.print(&line.yellow().to_string()) {
                                    return lost("cannot write to the terminal", e);
                                }
                            }
                            Err(_) => return Ended::Shutdown,
                        }
                    }
                }
                Some(Ok(TermEvent::Resize(width, _))) => {
                    if let Err(e) = screen.resize(width) {
                        return lost("cannot write to the terminal", e);
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return lost("cannot read keys from the terminal", e),
                None => return Ended::Lost("the terminal closed".into()),
            },
        }
        if shutdown.is_cancelled() {
            return Ended::Shutdown;
        }
        if let Some(next) = switch
            && let Some((id, handle)) = rooms.get(next)
        {
            selected = next;
            (label, control) = (id.clone(), handle.clone());
            events = control.events();
            journal_notices = control.journal_notices();
            file_changes = control.file().map(|link| link.subscribe());
            let line = format!(
                "now controlling room {} (Tab: the next room)",
                printable(&label)
            );
            if let Err(e) = screen.print(&line.bold().to_string()) {
                return lost("cannot write to the terminal", e);
            }
            if let Err(e) = print_help(&mut screen, &control) {
                return lost("cannot write to the terminal", e);
            }
        }
        if let Err(e) = screen.draw(&control, &label, &mode) {
            return lost("cannot write to the terminal", e);
        }
    }
}

/// Waits for the session file's view to change; never, without a file.
async fn file_changed(
    changes: &mut Option<tokio::sync::watch::Receiver<u64>>,
) -> Result<(), tokio::sync::watch::error::RecvError> {
    match changes {
        Some(rx) => rx.changed().await,
        None => std::future::pending().await,
    }
}

/// Says what the session file holds now: its changes offered, with the keys, or why it cannot be
/// used (`FILE:LINE:COL`). Text from the file goes through `printable`.
fn print_file(screen: &mut Screen, view: &crate::session_file::FileView) -> std::io::Result<()> {
    if let Some(offer) = &view.offer {
        screen.print(
            &format!(
                "Session file changed: apply to segments {} on? a apply · d dismiss",
                offer.from + 1
            )
            .bold()
            .to_string(),
        )?;
        for line in &offer.summary {
            screen.print(&format!("  {}", printable(line)))?;
        }
    } else if let Some(problem) = &view.problem {
        screen.print(
            &format!(
                "{} — the show goes on unchanged (d: dismiss)",
                printable(problem)
            )
            .bold()
            .red()
            .to_string(),
        )?;
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
                return Some(Command::Message(text.trim().into()));
            }
            KeyCode::Esc => *mode = Mode::Keys,
            KeyCode::Backspace => {
                text.pop();
            }
            KeyCode::Char(c) if !c.is_control() && text.chars().count() < MAX_MESSAGE_CHARS => {
                text.push(c)
            }
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
            KeyCode::Char(digit @ '1'..='9') => {
                let n = digit.to_digit(10).map_or(0, |n| n as usize);
                return Some(Command::Message(Message::preset(n)));
            }
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

/// The terminal as the console uses it: lines printed once above, and one status line at the
/// bottom, redrawn in place. The status line never wraps (it is cut to the width, which follows
/// resizes), so redrawing it never scrolls anything away.
struct Screen {
    /// The terminal's width in columns.
    width: u16,
    /// The status line as last drawn (nothing is written while it does not change).
    drawn: String,
    /// How many columns the status line on the screen takes.
    drawn_columns: usize,
    /// Whether the terminal rewraps its lines when it narrows (see [`reflows`]).
    reflows: bool,
}

impl Screen {
    fn new() -> Screen {
        Screen {
            width: terminal::size().map_or(80, |(w, _)| w),
            drawn: String::new(),
            drawn_columns: 0,
            reflows: reflows(|name| std::env::var_os(name)),
        }
    }

    /// A terminal that rewraps its lines on a resize turns a status line wider than the new width
    /// into several rows, the cursor on the last: those rows are cleared, so no piece of an old
    /// status line is left above the new one. (A terminal that does not rewrap cuts the line
    /// instead, and the rows above are alerts, which must stay.)
    fn resize(&mut self, width: u16) -> std::io::Result<()> {
        let rows = self.drawn_columns.div_ceil(usize::from(width.max(1)));
        self.width = width;
        self.drawn.clear();
        self.drawn_columns = 0;
        if self.reflows && rows > 1 {
            let mut out = stdout();
            queue!(
                out,
                cursor::MoveToPreviousLine(u16::try_from(rows - 1).unwrap_or(u16::MAX)),
                terminal::Clear(terminal::ClearType::FromCursorDown)
            )?;
            out.flush()?;
        }
        Ok(())
    }

    /// Columns the status line may use: one short of the width, so the cursor never reaches the
    /// last column (where some terminals wrap at once).
    fn columns(&self) -> usize {
        usize::from(self.width).saturating_sub(1).max(1)
    }

    fn draw(&mut self, control: &Handle, room: &str, mode: &Mode) -> std::io::Result<()> {
        let columns = self.columns();
        let (line, width) = match mode {
            Mode::Message(text) => {
                let line = message_prompt(text, columns);
                let width = line.width();
                (line, width)
            }
            Mode::ConfirmQuit => {
                let mut line = Line::default();
                line.styled("The show is running. Quit? y/N", ContentStyle::new().bold());
                line.render_measured(columns)
            }
            Mode::Keys => status_line(control, room, columns).render_measured(columns),
        };
        if line == self.drawn {
            return Ok(());
        }
        rewrite_line(&line)?;
        self.drawn = line;
        self.drawn_columns = width;
        Ok(())
    }

    /// Prints a line above the status line (the status line is drawn again below it). The text
    /// may wrap: it is printed once and scrolls like any output.
    fn print(&mut self, text: &str) -> std::io::Result<()> {
        self.drawn.clear();
        self.drawn_columns = 0;
        rewrite_line(&format!("{text}\r\n"))
    }
}

/// A line of plain and styled pieces, cut to a number of columns by display width.
#[derive(Default)]
struct Line {
    pieces: Vec<(String, ContentStyle)>,
}

impl Line {
    fn plain(&mut self, text: impl Into<String>) {
        self.pieces.push((text.into(), ContentStyle::new()));
    }

    fn styled(&mut self, text: impl Into<String>, style: ContentStyle) {
        self.pieces.push((text.into(), style));
    }

    fn width(&self) -> usize {
        self.pieces.iter().map(|(t, _)| t.width()).sum()
    }

    /// The line with its styles, at most `columns` wide: cut with `…` when it is wider.
    fn render(&self, columns: usize) -> String {
        self.render_measured(columns).0
    }

    /// [`Line::render`], and how many columns the result takes.
    fn render_measured(&self, columns: usize) -> (String, usize) {
        let fits = self.width() <= columns;
        let budget = if fits {
            columns
        } else {
            columns.saturating_sub(1)
        };
        let mut used = 0;
        let mut out = String::new();
        for (text, style) in &self.pieces {
            let kept = take_columns(text, budget - used);
            used += kept.width();
            if !kept.is_empty() {
                out.push_str(&style.apply(kept).to_string());
            }
            if kept.len() < text.len() {
                break;
            }
        }
        if !fits {
            out.push('…');
            used += 1;
        }
        (out, used)
    }
}

/// Whether the terminal we run in rewraps lines when it narrows, as far as its environment tells:
/// tmux, VTE (GNOME Terminal, Tilix…), Konsole, kitty, Alacritty, WezTerm, iTerm2, Apple's
/// Terminal, Windows Terminal and VS Code do; xterm and the Linux console do not, and over SSH
/// none of these variables arrive, so nothing is cleared there.
fn reflows(var: impl Fn(&str) -> Option<std::ffi::OsString>) -> bool {
    const MARKERS: [&str; 7] = [
        "TMUX",
        "VTE_VERSION",
        "KONSOLE_VERSION",
        "KITTY_WINDOW_ID",
        "ALACRITTY_WINDOW_ID",
        "WT_SESSION",
        "WEZTERM_PANE",
    ];
    MARKERS.iter().any(|name| var(name).is_some())
        || var("TERM_PROGRAM").is_some_and(|p| {
            ["iTerm.app", "Apple_Terminal", "WezTerm", "vscode"]
                .iter()
                .any(|known| p == *known)
        })
}

/// The longest start of `text` at most `columns` wide.
fn take_columns(text: &str, columns: usize) -> &str {
    let mut used = 0;
    for (at, c) in text.char_indices() {
        used += c.width().unwrap_or(0);
        if used > columns {
            return &text[..at];
        }
    }
    text
}

/// `text` cut to `columns` with `…` when it is wider.
fn fit(text: &str, columns: usize) -> String {
    let mut line = Line::default();
    line.plain(text);
    line.render(columns)
}

/// The message being typed, its end kept in view when it is longer than the line.
fn message_prompt(text: &str, columns: usize) -> String {
    const PROMPT: &str = "message (Enter sends, empty clears, Esc cancels): ";
    let prompt = fit(PROMPT, columns);
    let room = columns.saturating_sub(prompt.width());
    if text.width() <= room {
        return format!("{prompt}{text}");
    }
    // The tail that fits after a leading `…`.
    let mut tail = text;
    while tail.width() + 1 > room {
        let mut chars = tail.chars();
        if chars.next().is_none() {
            break;
        }
        tail = chars.as_str();
    }
    format!("{prompt}…{tail}")
}

/// The widest a title may be on the status line.
const MAX_TITLE_COLUMNS: usize = 40;

/// `[2/6] Keynote  4:59  running  1:10 behind  ends on time  [blackout]  ✉ Wrap up`: what must
/// be seen (the clock, the phase, the flags) comes before what may be cut (the message); the
/// title gives up its room first.
/// The status line of `control`'s room (`room`: its id, shown first when there are several).
fn status_line(control: &Handle, room: &str, columns: usize) -> Line {
    let published = control.subscribe().borrow().clone();
    let snap = &published.snapshot;
    // The run-of-show this state was made with (edits change it).
    let show = &published.show;
    let seg = &show.segments[snap.index];
    let now = control.clock().now();
    // Show time throughout: the snapshot's deadline and `now` are both on the show's clock.
    let shown = Countdown::of(snap, seg).at(now.0 as f64);
    let phase = shown.phase;
    let clock_style = match phase {
        Phase::Warning => ContentStyle::new().black().on_yellow().bold(),
        Phase::Overtime | Phase::OverMax | Phase::Stopped => {
            ContentStyle::new().white().on_red().bold()
        }
        _ => ContentStyle::new().bold(),
    };

    let mut after = Line::default();
    after.plain("  ");
    after.styled(shown.digits.clone(), clock_style);
    after.plain(format!(
        "  {}  {}",
        phase_text(&shown),
        display::offset_words(snap.schedule_offset_at(now) as f64)
    ));
    if let Some(slack) = snap.slack_ms {
        after.plain(format!("  {}", display::slack_words(slack as f64)));
    }
    // Flags: states the moderator must not miss.
    if !control.journal_health().ok {
        after.plain("  ");
        after.styled(
            "[JOURNAL NOT WRITTEN]",
            ContentStyle::new().white().on_red().bold(),
        );
    }
    if snap.blackout {
        after.plain("  [blackout]");
    } else if snap.focus {
        after.plain("  [message only]");
    }

    let room = if room.is_empty() {
        String::new()
    } else {
        format!("{} › ", printable(room))
    };
    let position = format!("{room}[{}/{}] ", snap.index + 1, show.segments.len());
    let room = columns.saturating_sub(position.width() + after.width());
    let title = fit(&printable(&seg.title), room.clamp(8, MAX_TITLE_COLUMNS));

    let mut line = Line::default();
    line.plain(position + &title);
    line.pieces.append(&mut after.pieces);
    // The message takes what is left (cut on its own, so the flags before it are never cut).
    let left = columns.saturating_sub(line.width() + "  ✉ ".width());
    if !snap.message.is_empty() && left >= 4 {
        line.plain(format!("  ✉ {}", fit(&printable(&snap.message), left)));
    }
    if columns > 150 && line.width() + KEYS.width() + 5 <= columns {
        line.plain(format!("   ({KEYS})"));
    }
    line
}

/// The keys and the selected room's presets, above the status line.
fn print_help(screen: &mut Screen, control: &Handle) -> std::io::Result<()> {
    for line in help_lines(control.show(), usize::from(screen.width)) {
        screen.print(&line.dim().to_string())?;
    }
    Ok(())
}

/// At the end of the show: the report so far, and where the journal is.
fn print_report(control: &Handle, screen: &mut Screen) -> std::io::Result<()> {
    let Some(path) = control.journal_path() else {
        return Ok(());
    };
    match journal::read(path) {
        Ok(recorded) => {
            for line in Report::from_journal(&recorded).markdown().lines() {
                screen.print(&printable(line))?;
            }
            screen.print(&format!(
                "journal: {} — q quits",
                printable(&path.display().to_string())
            ))
        }
        Err(e) => screen.print(&format!(
            "cannot read the journal back: {}",
            printable(&e.to_string())
        )),
    }
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

    /// Issue 14: the presets (and every key) are listed within 80 columns, numbered as their keys.
    #[test]
    fn the_keys_and_presets_fit_80_columns() {
        let show = crate::show::load_str(
            std::path::Path::new("presets.toml"),
            "[[preset]]\ntext = \"Please wrap up now, the next speaker is waiting backstage\"\n\
             [[preset]]\ntext = \"Louder\"\n[[segment]]\ntitle = \"Talk\"\nduration = \"5m\"\n",
        )
        .expect("a valid show");
        let lines = help_lines(&show, 80);
        for line in &lines {
            assert!(line.width() <= 80, "{} columns: {line}", line.width());
        }
        let text = lines.join("\n");
        assert!(text.contains("1-9 preset"), "{text}");
        assert!(
            text.contains("presets: 1 Please wrap up now, the nex…"),
            "{text}"
        );
        assert!(text.contains("2 Louder"), "{text}");
    }

    #[test]
    fn a_pause_in_overtime_says_how_far_over() {
        let paused = |remaining_ms: f64| Shown {
            remaining_ms,
            digits: display::digits(remaining_ms),
            phase: Phase::Paused,
            words: display::phase_words(Phase::Paused, remaining_ms),
            next_change_in_ms: None,
        };
        assert_eq!(phase_text(&paused(-80_500.0)), "paused — over by 1:20");
        assert_eq!(phase_text(&paused(-1_000.0)), "paused — over by 0:01");
        assert_eq!(phase_text(&paused(-999.0)), "paused — time's up");
        assert_eq!(phase_text(&paused(42_000.0)), "paused");
        let overtime = Shown {
            phase: Phase::Overtime,
            words: display::phase_words(Phase::Overtime, -80_500.0),
            ..paused(-80_500.0)
        };
        assert_eq!(phase_text(&overtime), "overtime");
    }

    /// Issue 11: the status line rounds the schedule offset like the pages (1.6 s behind is
    /// "0:02 behind", where it used to floor to "0:01"), and says hours as h:mm:ss ("1:01:40",
    /// where it used to say "61:40"); the slack alike.
    #[test]
    fn offsets_round_like_the_pages_and_say_hours() {
        assert_eq!(display::offset_words(1_600.0), "0:02 behind");
        assert_eq!(display::offset_words(-1_500.0), "0:02 ahead");
        assert_eq!(display::offset_words(3_700_000.0), "1:01:40 behind");
        assert_eq!(display::offset_words(400.0), "on time");
        assert_eq!(display::slack_words(-1_600.0), "ends 0:02 late");
        assert_eq!(display::slack_words(3_700_000.0), "ends 1:01:40 early");
        assert_eq!(display::slack_words(120_000.0), "ends 2:00 early");
    }

    #[test]
    fn a_long_line_is_cut_to_the_columns_with_an_ellipsis() {
        let mut line = Line::default();
        line.plain("[1/2] Opening  ");
        line.styled("4:59", ContentStyle::new().bold());
        line.plain("  ✉ 会議はもうすぐ終わります please wrap up");
        let plain = |s: String| {
            s.replace("\u{1b}[1m", "")
                .replace("\u{1b}[0m", "")
                .replace("\u{1b}[22m", "")
        };
        for columns in [10, 20, 27, 28, 29, 40, 80] {
            let out = plain(line.render(columns));
            assert!(
                out.width() <= columns,
                "{columns}: {out:?} is {}",
                out.width()
            );
            assert_eq!(
                out.ends_with('…'),
                line.width() > columns,
                "{columns}: {out:?}"
            );
        }
        assert_eq!(
            plain(line.render(80)),
            "[1/2] Opening  4:59  ✉ 会議はもうすぐ終わります please wrap up"
        );
        assert_eq!(plain(line.render(10)), "[1/2] Ope…");
        // A wide character that would straddle the edge is left out whole.
        assert_eq!(fit("会議は", 4), "会…");
    }

    #[test]
    fn a_long_message_being_typed_keeps_its_end_in_view() {
        let text = "x".repeat(100) + " the end";
        let line = message_prompt(&text, 79);
        assert_eq!(line.width(), 79, "{line}");
        assert!(line.ends_with(" the end"), "{line}");
        assert!(message_prompt("short", 79).ends_with(": short"));
    }

    #[test]
    fn terminals_that_rewrap_are_known_by_their_environment() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| std::ffi::OsString::from(v))
            }
        };
        assert!(reflows(env(&[("TMUX", "/tmp/tmux-0/default,1,0")])));
        assert!(reflows(env(&[("TERM_PROGRAM", "iTerm.app")])));
        assert!(!reflows(env(&[("TERM_PROGRAM", "xterm")])));
        assert!(!reflows(env(&[])));
    }
}
