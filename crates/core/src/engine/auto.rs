//! Starting on time: segments that start by themselves at their wall-clock time (`auto_start`),
//! and the alarm for a show forgotten at its start (OnlyT's issue #73).
//!
//! The engine reads no clock: the caller turns the session's wall-clock times into show time
//! ([`Schedule`]: the app's `Clock::schedule`) and arms the engine with them. An auto-start is
//! carried out at its instant itself, however late the tick, as the commands a moderator would
//! have given then (`Goto`, `Start`): [`Event::AutoStarted`] names them, so that the journal
//! records them like any command and a replay does the same.

use super::{Command, Engine, Event, Mode, ShowTime};

/// How long after its planned start a show that has not started raises the alarm.
pub const LATE_START_MS: i64 = 60_000;

/// A segment that starts by itself at `at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AutoStart {
    pub index: usize,
    pub at: ShowTime,
}

/// The session's wall-clock times in show time, as the caller's clock maps them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schedule {
    /// The planned start of the show: past it by [`LATE_START_MS`] without a start, the engine
    /// says so ([`Event::StartOverdue`], `Snapshot::start_overdue`).
    pub planned_start: Option<ShowTime>,
    /// Auto-starts, in any order; only those after the instant of arming count.
    pub auto_starts: Vec<AutoStart>,
}

/// What the engine keeps of a [`Schedule`]: auto-starts by the segment's stable number (edits
/// move segments), soonest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Armed {
    starts: Vec<(ShowTime, u32)>,
    overdue_at: Option<ShowTime>,
    overdue_told: bool,
}

impl Engine {
    /// Arms the engine with `schedule` at `now`: auto-starts at or before `now` are dropped (a
    /// start that was due before podium ran is the moderator's call, and the late-start alarm
    /// says so).
    pub fn with_schedule(mut self, schedule: Schedule, now: ShowTime) -> Engine {
        let mut starts: Vec<(ShowTime, u32)> = schedule
            .auto_starts
            .iter()
            .filter(|a| a.at > now)
            .filter_map(|a| self.ids.get(a.index).map(|id| (a.at, *id)))
            .collect();
        starts.sort();
        self.armed = Armed {
            starts,
            overdue_at: schedule.planned_start.map(|s| s.plus(LATE_START_MS)),
            overdue_told: false,
        };
        self
    }

    /// Whether the show should have started by `now` and has not.
    pub fn start_overdue(&self, now: ShowTime) -> bool {
        self.show_started.is_none() && self.armed.overdue_at.is_some_and(|at| now >= at)
    }

    /// The next instant at which an auto-start or the late-start alarm is due, after `now`.
    pub(super) fn next_scheduled(&self, now: ShowTime) -> Option<ShowTime> {
        let overdue = self
            .armed
            .overdue_at
            .filter(|_| !self.armed.overdue_told && self.show_started.is_none());
        self.armed
            .starts
            .first()
            .map(|(at, _)| *at)
            .into_iter()
            .chain(overdue)
            .filter(|at| *at > now)
            .min()
    }

    /// Whether something scheduled is due by `now` and not yet carried out.
    pub(super) fn scheduled_due(&self, now: ShowTime) -> bool {
        self.armed.starts.first().is_some_and(|(at, _)| *at <= now)
            || (!self.armed.overdue_told
                && self.show_started.is_none()
                && self.armed.overdue_at.is_some_and(|at| at <= now))
    }

    /// The soonest auto-start due by `now`, taken off the list.
    pub(super) fn take_due_start(&mut self, now: ShowTime) -> Option<(ShowTime, u32)> {
        let first = *self.armed.starts.first()?;
        (first.0 <= now).then(|| self.armed.starts.remove(0))
    }

    /// Raises the late-start alarm once, if it is due by `now`.
    pub(super) fn tell_overdue(&mut self, now: ShowTime, events: &mut Vec<Event>) {
        if self.armed.overdue_told || self.show_started.is_some() {
            return;
        }
        if let Some(at) = self.armed.overdue_at.filter(|at| *at <= now) {
            self.armed.overdue_told = true;
            events.push(Event::StartOverdue {
                late_ms: now.0 - (at.0 - LATE_START_MS),
            });
        }
    }

    /// Starts the segment numbered `id` at `at`, as a moderator would have: going to it if the
    /// show is before it, then starting it unless it runs. Nothing if the show is past it, on it
    /// and under way (running, paused, stopped at zero), finished, or the segment was deleted.
    pub(super) fn auto_start(&mut self, at: ShowTime, id: u32, events: &mut Vec<Event>) {
        let Some(index) = self.ids.iter().position(|i| *i == id) else {
            return;
        };
        let here = self.index == index;
        if matches!(self.mode, Mode::Finished { .. })
            || self.index > index
            || (here && !matches!(self.mode, Mode::Ready))
        {
            return;
        }
        let mut commands = Vec::new();
        if !here && self.execute(Command::Goto(index), at, events).is_ok() {
            commands.push(Command::Goto(index));
        }
        if !matches!(self.mode, Mode::Running { .. })
            && self.execute(Command::Start, at, events).is_ok()
        {
            commands.push(Command::Start);
        }
        if !commands.is_empty() {
            events.push(Event::AutoStarted {
                index,
                at,
                commands,
            });
        }
    }
}

#[cfg(test)]
#[path = "auto_tests.rs"]
mod tests;
