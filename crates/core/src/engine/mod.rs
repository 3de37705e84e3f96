//! The timing engine: a pure state machine over a [`Show`]. Commands and the current instant come
//! in, events and snapshots come out. It never reads a clock, does no I/O and knows nothing of tokio
//! or serialization, so it can be driven by tests with explicit instants.
//!
//! **Invariant:** a running segment stores its deadline, never a counter; remaining time is always
//! `deadline - now`, so nothing drifts however long the show runs.
//!
//! The live re-plan (`replan.rs`): the engine knows the slot's end ([`Target`]), projects the end
//! of the show at any instant, and [`Command::Fit`] shortens what remains (within each segment's
//! `min`) to land on the end.

use std::time::Duration;

use crate::show::{Kind, OnEnd, Segment, Show};

pub use auto::{AutoStart, LATE_START_MS, Schedule};
pub use message::{Message, OnScreen, Text};

pub use edit::{Changes, Edit, MAX_EDIT_LENGTH, UNDO_DEPTH, check_segment};

mod auto;
mod edit;
mod message;
mod replan;
#[cfg(test)]
mod tests;

/// An instant of show time, in milliseconds since an arbitrary origin chosen by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ShowTime(pub i64);

impl ShowTime {
    pub fn ms(self) -> i64 {
        self.0
    }
    fn plus(self, ms: i64) -> ShowTime {
        ShowTime(self.0 + ms)
    }
}

/// What the moderator can ask of the engine. A closed set: parsers map onto it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Start,
    Pause,
    Resume,
    /// Start, pause or resume, whichever applies (the space key).
    Toggle,
    Next,
    Previous,
    Goto(usize),
    /// Add (positive) or take (negative) seconds from the current segment.
    Adjust(i64),
    /// Text or a preset for the speaker, with a flash or chime on arrival; empty text clears it.
    /// It clears itself when the segment changes unless the session says `message_clears =
    /// "never"` (`message.rs`).
    Message(Message),
    Reset,
    /// Shorten the remaining segments, within their `min`, so that the show ends on its target.
    Fit,
    /// Blank the speaker's screen (true) or show it again (false).
    Blackout(bool),
    /// Show only the message on the speaker's screen (true), or everything again (false).
    Focus(bool),
    /// Edit the run-of-show (segments not yet started; see `edit.rs` for the rules).
    Edit(Edit),
    /// Undo the last edit of the run-of-show.
    Undo,
}

/// When the show must end, in show time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// At this instant (a live show on its day).
    At(ShowTime),
    /// This many milliseconds after the show starts (a rehearsal, or a show without a date).
    AfterStart(i64),
}

/// One segment's planned length changed by [`Command::Fit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub index: usize,
    pub from_ms: i64,
    pub to_ms: i64,
}

/// The phase of the current segment, as shown to everyone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    Ready,
    Paused,
    Running,
    Warning,
    Overtime,
    OverMax,
    /// The segment's time ran out and it ends there (`on_end = "stop"`): frozen at 0:00, waiting
    /// for the moderator to move on.
    Stopped,
    Finished,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Ready => "ready",
            Phase::Paused => "paused",
            Phase::Running => "running",
            Phase::Warning => "warning",
            Phase::Overtime => "overtime",
            Phase::OverMax => "over-max",
            Phase::Stopped => "stopped",
            Phase::Finished => "finished",
        }
    }

    /// Whether the clock is counting in this phase.
    pub fn is_running(self) -> bool {
        matches!(
            self,
            Phase::Running | Phase::Warning | Phase::Overtime | Phase::OverMax
        )
    }
}

/// Something that happened, for alerts and records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Started {
        index: usize,
    },
    Warning {
        index: usize,
    },
    Overtime {
        index: usize,
    },
    OverMax {
        index: usize,
    },
    /// The segment reached zero and stopped there (`on_end = "stop"`).
    Stopped {
        index: usize,
    },
    /// A started segment was left; `overrun_ms` is actual minus planned length (positive = long).
    Ended {
        index: usize,
        overrun_ms: i64,
    },
    Finished,
    /// [`Command::Fit`] shortened these segments; `short_ms > 0` when even every `min` cannot
    /// land on the end (the show is still that much late).
    Fitted {
        changes: Vec<Change>,
        short_ms: i64,
    },
    /// Segment `index` started by itself at `at` (`auto_start`), by these commands, which the
    /// journal records at `at` like the moderator's.
    AutoStarted {
        index: usize,
        at: ShowTime,
        commands: Vec<Command>,
    },
    /// The show has not started [`LATE_START_MS`] after its planned start (`late_ms` ago).
    StartOverdue {
        late_ms: i64,
    },
}

/// A command that does not apply in the current state; nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

/// Actual timings of one segment, in show time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Record {
    pub started: Option<ShowTime>,
    pub ended: Option<ShowTime>,
}

/// Everything a view needs at one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub at: ShowTime,
    pub phase: Phase,
    pub index: usize,
    /// Current length of the segment: planned plus adjustments.
    pub length_ms: i64,
    pub remaining_ms: i64,
    /// When the running segment reaches zero; `None` unless running.
    pub deadline: Option<ShowTime>,
    pub message: String,
    /// When the message on screen was sent (`None` without one): pages flash or chime when it
    /// changes, as `message_flash` and `message_chime` say.
    pub message_at: Option<ShowTime>,
    pub message_flash: bool,
    pub message_chime: bool,
    /// The show should have started [`LATE_START_MS`] ago and has not (`auto.rs`).
    pub start_overdue: bool,
    /// Positive: the show is behind its plan by this much.
    pub schedule_offset_ms: i64,
    pub show_started: Option<ShowTime>,
    pub projected_end: Option<ShowTime>,
    /// The current segment's planned length as re-planned by `fit` (without adjustments).
    pub planned_ms: i64,
    /// When the show must end, if the session has an `end`.
    pub target_end: Option<ShowTime>,
    /// Target end minus the projected end (as if starting now, before the start): positive is
    /// time to spare, negative is how late the show will end.
    pub slack_ms: Option<i64>,
    /// The speaker's screen is blanked.
    pub blackout: bool,
    /// The speaker's screen shows only the message.
    pub focus: bool,
    /// How many times the run-of-show was edited: views refetch it when this changes.
    pub revision: u64,
}

/// A segment's planned length now and, from the current one on, when it is projected to start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Replanned {
    pub length_ms: i64,
    pub start: Option<ShowTime>,
}

impl Snapshot {
    /// The schedule offset extrapolated to `now` (at or after the snapshot): the projected end
    /// of the current segment moves with the clock once it is overdue or paused.
    pub fn schedule_offset_at(&self, now: ShowTime) -> i64 {
        if self.show_started.is_none() {
            return self.schedule_offset_ms;
        }
        let projected = |at: ShowTime, remaining: i64| at.0 + remaining.max(0);
        let (then, later) = match (self.phase, self.deadline) {
            (Phase::Paused | Phase::Stopped, _) => (
                projected(self.at, self.remaining_ms),
                projected(now, self.remaining_ms),
            ),
            (_, Some(deadline)) => (self.at.0.max(deadline.0), now.0.max(deadline.0)),
            _ => return self.schedule_offset_ms,
        };
        self.schedule_offset_ms + (later - then)
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Plan {
    /// The planned length, as re-planned by `fit`.
    duration_ms: i64,
    /// The length in the session file: the schedule offset is measured against it.
    original_ms: i64,
    min_ms: i64,
    max_ms: Option<i64>,
    warn_ms: i64,
    kind: Kind,
    on_end: OnEnd,
}

impl Plan {
    fn of(s: &Segment) -> Plan {
        Plan {
            duration_ms: ms(s.duration),
            original_ms: ms(s.duration),
            min_ms: ms(s.shortest()),
            max_ms: s.max.map(ms),
            warn_ms: ms(s.warn),
            kind: s.kind,
            on_end: s.on_end,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    Ready,
    Running {
        deadline: ShowTime,
    },
    Paused {
        remaining_ms: i64,
    },
    /// Time ran out at `at` on a segment that stops there.
    Stopped {
        at: ShowTime,
    },
    Finished {
        at: ShowTime,
    },
}

/// The state machine. Create with [`Engine::new`], drive with [`Engine::apply`] and
/// [`Engine::tick`], read with [`Engine::snapshot`].
#[derive(Debug, Clone)]
pub struct Engine {
    plan: Vec<Plan>,
    index: usize,
    mode: Mode,
    extra_ms: i64,
    board: message::Board,
    /// Auto-starts and the planned start (`auto.rs`), armed by the caller.
    armed: auto::Armed,
    show_started: Option<ShowTime>,
    records: Vec<Record>,
    announced: Phase,
    target: Option<Target>,
    last_fit: Option<Event>,
    blackout: bool,
    focus: bool,
    /// The run-of-show as edited (`edit.rs`); `plan` follows it segment by segment.
    show: Show,
    /// Each segment's stable number ([`Engine::segment_ids`]) and the next one to give.
    ids: Vec<u32>,
    next_id: u32,
    /// The inverses of the edits made, newest last.
    undo: Vec<Edit>,
    revision: u64,
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Engine {
    pub fn new(show: &Show) -> Engine {
        let plan: Vec<Plan> = show.segments.iter().map(Plan::of).collect();
        assert!(!plan.is_empty(), "a validated show has segments");
        Engine {
            records: vec![Record::default(); plan.len()],
            plan,
            index: 0,
            mode: Mode::Ready,
            extra_ms: 0,
            board: message::Board::new(&show.messages),
            armed: Default::default(),
            show_started: None,
            announced: Phase::Ready,
            target: None,
            last_fit: None,
            blackout: false,
            focus: false,
            ids: (0..show.segments.len() as u32).collect(),
            next_id: show.segments.len() as u32,
            show: show.clone(),
            undo: Vec::new(),
            revision: 0,
        }
    }

    /// Sets when the show must end (see [`Target`]); `fit` needs one.
    pub fn with_target(mut self, target: Option<Target>) -> Engine {
        self.target = target;
        self
    }

    pub fn index(&self) -> usize {
        self.index
    }

    pub fn records(&self) -> &[Record] {
        &self.records
    }

    /// The [`Event::Fitted`] of the latest `fit` since the start or a reset.
    pub fn last_fit(&self) -> Option<&Event> {
        self.last_fit.as_ref()
    }

    /// `cmd` as it should be journaled: a message with its words and options spelled out (a
    /// preset becomes its text), so that a replay does not depend on the session's presets.
    /// Refused as `apply` would refuse it (a preset the session does not have).
    pub fn resolve(&self, cmd: Command) -> Result<Command, Refused> {
        match cmd {
            Command::Message(message) => self.board.resolve(message).map(Command::Message),
            other => Ok(other),
        }
    }

    /// Applies a command at `now`. Phase changes due before `now` are reported first.
    pub fn apply(&mut self, cmd: Command, now: ShowTime) -> Result<Vec<Event>, Refused> {
        let mut before = self.clone();
        let mut events = before.tick(now);
        before.execute(cmd, now, &mut events)?;
        events.extend(before.tick(now));
        *self = before;
        Ok(events)
    }

    /// Carries out what happened by itself up to `now` and reports it: warning, overtime,
    /// over-max, and a segment reaching zero that stops (`on_end = "stop"`) or hands over to the
    /// next (`on_end = "next"`). Those take effect at the deadline itself, not at `now`, so a late
    /// tick loses no time: the next segment's deadline is the previous one plus its length.
    /// Auto-starts (`auto.rs`) take effect at their instants too, in order with the rest.
    pub fn tick(&mut self, now: ShowTime) -> Vec<Event> {
        let mut events = Vec::new();
        while let Some((at, id)) = self.take_due_start(now) {
            self.settle(at, &mut events);
            self.tell_overdue(at, &mut events);
            self.auto_start(at, id, &mut events);
        }
        self.settle(now, &mut events);
        self.tell_overdue(now, &mut events);
        events
    }

    /// What happens by itself up to `now` as the segments run ([`Engine::tick`]).
    fn settle(&mut self, now: ShowTime, events: &mut Vec<Event>) {
        while let Mode::Running { deadline } = self.mode {
            let on_end = self.plan[self.index].on_end;
            if on_end == OnEnd::Overtime || now < deadline {
                break;
            }
            self.announce(deadline, events);
            if on_end == OnEnd::Stop {
                events.push(Event::Stopped { index: self.index });
            }
            self.leave(deadline, events);
            match on_end {
                OnEnd::Next if self.index + 1 < self.plan.len() => {
                    self.index += 1;
                    self.board.segment_changed();
                    self.extra_ms = 0;
                    let full = self.plan[self.index].duration_ms;
                    self.run(deadline, full, events);
                    self.announced = Phase::Running;
                }
                OnEnd::Next => {
                    self.mode = Mode::Finished { at: deadline };
                    self.board.segment_changed();
                    self.announced = Phase::Finished;
                    events.push(Event::Finished);
                }
                _ => {
                    self.mode = Mode::Stopped { at: deadline };
                    self.announced = Phase::Stopped;
                }
            }
        }
        self.announce(now, events);
    }

    /// Reports the warning, overtime and over-max stages reached by `now` and not yet reported.
    fn announce(&mut self, now: ShowTime, events: &mut Vec<Event>) {
        let phase = self.phase_at(now);
        if phase != self.announced && phase.is_running() && self.announced.is_running() {
            let index = self.index;
            for stage in [Phase::Warning, Phase::Overtime, Phase::OverMax] {
                if self.announced < stage && stage <= phase {
                    events.push(match stage {
                        Phase::Warning => Event::Warning { index },
                        Phase::Overtime => Event::Overtime { index },
                        _ => Event::OverMax { index },
                    });
                }
            }
        }
        self.announced = phase;
    }

    /// The next instant after `now` at which the phase changes by itself (or something
    /// scheduled is due: an auto-start, the late-start alarm), if any.
    pub fn next_change(&self, now: ShowTime) -> Option<ShowTime> {
        let phase = self.next_phase_change(now);
        match (phase, self.next_scheduled(now)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn next_phase_change(&self, now: ShowTime) -> Option<ShowTime> {
        let Mode::Running { deadline } = self.mode else {
            return None;
        };
        let p = self.plan[self.index];
        // Warning starts at `remaining <= warn`, overtime at `remaining < 0` (1 ms past the
        // deadline), over-max 1 ms past `max - duration` of overtime. A segment that stops or
        // hands over does so at the deadline itself.
        let mut marks = vec![deadline.plus(-p.warn_ms)];
        if p.on_end != OnEnd::Overtime {
            marks.push(deadline);
        } else {
            marks.push(deadline.plus(1));
            if let Some(max) = p.max_ms {
                marks.push(deadline.plus(max - p.duration_ms + 1));
            }
        }
        marks.into_iter().filter(|m| *m > now).min()
    }

    /// Everything a view needs at `now`, including what `tick` would carry out by then (a
    /// segment that stopped or handed over), so a snapshot never shows a state that cannot be.
    pub fn snapshot(&self, now: ShowTime) -> Snapshot {
        if (matches!(self.mode, Mode::Running { deadline } if now >= deadline)
            && self.plan[self.index].on_end != OnEnd::Overtime)
            || self.scheduled_due(now)
        {
            let mut settled = self.clone();
            settled.tick(now);
            return settled.snapshot(now);
        }
        let remaining_ms = self.remaining(now);
        let projected_current_end = match self.mode {
            Mode::Ready => None,
            Mode::Running { .. } | Mode::Paused { .. } => Some(now.plus(remaining_ms.max(0))),
            // The next segment cannot start before now.
            Mode::Stopped { .. } => Some(now),
            Mode::Finished { at } => Some(at),
        };
        let (schedule_offset_ms, projected_end) = match (self.show_started, projected_current_end) {
            (Some(start), Some(current_end)) => {
                let upto = if matches!(self.mode, Mode::Finished { .. }) {
                    self.plan.len()
                } else {
                    self.index + 1
                };
                let planned: i64 = self.plan[..upto].iter().map(|p| p.original_ms).sum();
                let rest: i64 = self.plan[upto..].iter().map(|p| p.duration_ms).sum();
                (
                    (current_end.0 - start.0) - planned,
                    Some(current_end.plus(rest)),
                )
            }
            _ => (0, None),
        };
        Snapshot {
            at: now,
            phase: self.phase_at(now),
            index: self.index,
            length_ms: self.plan[self.index].duration_ms + self.extra_ms,
            remaining_ms,
            deadline: match self.mode {
                Mode::Running { deadline } => Some(deadline),
                _ => None,
            },
            message: self.board.on_screen.text.clone(),
            message_at: self.board.on_screen.at,
            message_flash: self.board.on_screen.flash,
            message_chime: self.board.on_screen.chime,
            start_overdue: self.start_overdue(now),
            schedule_offset_ms,
            show_started: self.show_started,
            projected_end,
            planned_ms: self.plan[self.index].duration_ms,
            target_end: self.target_at(now),
            slack_ms: self
                .target_at(now)
                .map(|target| target.0 - self.projected_from(now).0),
            blackout: self.blackout,
            focus: self.focus,
            revision: self.revision,
        }
    }

    fn remaining(&self, now: ShowTime) -> i64 {
        match self.mode {
            Mode::Ready => self.plan[self.index].duration_ms + self.extra_ms,
            Mode::Running { deadline } => deadline.0 - now.0,
            Mode::Paused { remaining_ms } => remaining_ms,
            Mode::Stopped { .. } | Mode::Finished { .. } => 0,
        }
    }

    fn phase_at(&self, now: ShowTime) -> Phase {
        match self.mode {
            Mode::Ready => Phase::Ready,
            Mode::Paused { .. } => Phase::Paused,
            Mode::Stopped { .. } => Phase::Stopped,
            Mode::Finished { .. } => Phase::Finished,
            Mode::Running { deadline } => {
                let p = self.plan[self.index];
                let r = deadline.0 - now.0;
                if r < 0 {
                    match p.max_ms {
                        Some(max) if -r > max - p.duration_ms => Phase::OverMax,
                        _ => Phase::Overtime,
                    }
                } else if p.warn_ms > 0 && r <= p.warn_ms {
                    Phase::Warning
                } else {
                    Phase::Running
                }
            }
        }
    }

    fn execute(
        &mut self,
        cmd: Command,
        now: ShowTime,
        events: &mut Vec<Event>,
    ) -> Result<(), Refused> {
        let refuse = |why: &str| Err(Refused(why.to_owned()));
        match cmd {
            Command::Toggle => {
                let cmd = match self.mode {
                    Mode::Running { .. } => Command::Pause,
                    Mode::Paused { .. } => Command::Resume,
                    _ => Command::Start,
                };
                return self.execute(cmd, now, events);
            }
            Command::Start | Command::Resume => match self.mode {
                Mode::Ready | Mode::Paused { .. } => {
                    let remaining = self.remaining(now);
                    self.run(now, remaining, events);
                }
                Mode::Running { .. } => return refuse("already running"),
                Mode::Stopped { .. } => {
                    return refuse(
                        "this segment's time is up (it stops at zero): add time or go to the next segment",
                    );
                }
                Mode::Finished { .. } => {
                    return refuse("the show is finished: reset it or go to a segment");
                }
            },
            Command::Pause => match self.mode {
                Mode::Running { deadline } => {
                    self.mode = Mode::Paused {
                        remaining_ms: deadline.0 - now.0,
                    };
                }
                _ => return refuse("nothing is running"),
            },
            Command::Next => {
                if self.index + 1 < self.plan.len() {
                    self.switch_to(self.index + 1, now, events);
                } else if matches!(self.mode, Mode::Stopped { .. }) {
                    self.mode = Mode::Finished { at: now };
                    self.board.segment_changed();
                    events.push(Event::Finished);
                } else if matches!(self.mode, Mode::Running { .. } | Mode::Paused { .. }) {
                    self.leave(now, events);
                    self.mode = Mode::Finished { at: now };
                    self.board.segment_changed();
                    events.push(Event::Finished);
                } else {
                    return refuse("already at the last segment");
                }
            }
            Command::Previous => {
                if matches!(self.mode, Mode::Finished { .. }) {
                    self.switch_to(self.index, now, events);
                } else if self.index == 0 {
                    return refuse("already at the first segment");
                } else {
                    self.switch_to(self.index - 1, now, events);
                }
            }
            Command::Goto(index) => {
                if index >= self.plan.len() {
                    return Err(Refused(format!(
                        "there is no segment {index}: the show has segments 0 to {}",
                        self.plan.len() - 1
                    )));
                }
                self.switch_to(index, now, events);
            }
            Command::Adjust(seconds) => {
                let delta = seconds
                    .checked_mul(1000)
                    .filter(|d| d.abs() <= 24 * 3_600_000);
                let Some(delta) = delta else {
                    return refuse("an adjustment is limited to 24 hours either way");
                };
                match &mut self.mode {
                    Mode::Running { deadline } => *deadline = deadline.plus(delta),
                    Mode::Paused { remaining_ms } => *remaining_ms += delta,
                    Mode::Ready => {}
                    // Time given to a stopped segment starts it again with that much left.
                    Mode::Stopped { .. } if delta > 0 => self.run(now, delta, events),
                    Mode::Stopped { .. } => return refuse("this segment's time is already up"),
                    Mode::Finished { .. } => return refuse("the show is finished"),
                }
                self.extra_ms += delta;
            }
            Command::Message(message) => self.board.say(message, now)?,
            Command::Blackout(on) => self.blackout = on,
            Command::Focus(on) => self.focus = on,
            Command::Reset => {
                self.index = 0;
                self.mode = Mode::Ready;
                self.extra_ms = 0;
                self.board.clear();
                self.show_started = None;
                self.records = vec![Record::default(); self.plan.len()];
                self.announced = Phase::Ready;
                for p in &mut self.plan {
                    p.duration_ms = p.original_ms;
                }
                self.last_fit = None;
                self.blackout = false;
                self.focus = false;
            }
            Command::Fit => self.fit(now, events)?,
            Command::Edit(edit) => {
                let inverse = self.edit(edit, now)?;
                // The last fit's changes name segments by their old numbers.
                self.last_fit = None;
                if self.undo.len() == UNDO_DEPTH {
                    self.undo.remove(0);
                }
                self.undo.push(inverse);
            }
            Command::Undo => {
                let Some(last) = self.undo.pop() else {
                    return refuse("there is no edit to undo");
                };
                self.edit(last, now)
                    .map_err(|why| Refused(format!("the last edit cannot be undone: {why}")))?;
                self.last_fit = None;
            }
        }
        Ok(())
    }

    /// Starts the current segment running with `remaining_ms` left.
    fn run(&mut self, now: ShowTime, remaining_ms: i64, events: &mut Vec<Event>) {
        self.mode = Mode::Running {
            deadline: now.plus(remaining_ms),
        };
        self.show_started.get_or_insert(now);
        let record = &mut self.records[self.index];
        if record.started.is_none() {
            record.started = Some(now);
            events.push(Event::Started { index: self.index });
        }
        record.ended = None;
    }

    /// Records the end of the current segment if it had started.
    fn leave(&mut self, now: ShowTime, events: &mut Vec<Event>) {
        let record = &mut self.records[self.index];
        if let Some(started) = record.started {
            record.ended = Some(now);
            let planned = self.plan[self.index].duration_ms;
            events.push(Event::Ended {
                index: self.index,
                overrun_ms: (now.0 - started.0) - planned,
            });
        }
    }

    /// Moves to `index`, keeping the mode: running stays running, anything else waits.
    fn switch_to(&mut self, index: usize, now: ShowTime, events: &mut Vec<Event>) {
        let was = self.mode;
        // A stopped or finished segment's end is already recorded.
        if !matches!(was, Mode::Stopped { .. } | Mode::Finished { .. }) {
            self.leave(now, events);
        }
        self.index = index;
        self.board.segment_changed();
        self.extra_ms = 0;
        let full = self.plan[index].duration_ms;
        match was {
            Mode::Running { .. } => self.run(now, full, events),
            Mode::Ready => self.mode = Mode::Ready,
            Mode::Paused { .. } | Mode::Stopped { .. } | Mode::Finished { .. } => {
                self.mode = Mode::Paused { remaining_ms: full };
            }
        }
    }
}
