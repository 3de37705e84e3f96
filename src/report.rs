//! Planned-versus-actual reports from journals: one row per segment (planned and actual start,
//! planned and actual length, overrun, pauses, messages), totals, and a segment-by-segment
//! comparison of several runs of the same show. All times are show time: a rehearsal at
//! `--speed 9.6` reports the lengths the real show would have had. An event's journals (their
//! headers name their rooms) make an [`EventReport`]: a line per room for the whole event, then
//! each room's report (or comparison of its runs).

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::engine::{Command, Edit, Engine, Phase, ShowTime};
use crate::journal::{Line, Recorded, wall};
use crate::show::{Kind, OnEnd};
use podium_core::display;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{0} and {1} record different shows: compare runs of the same show")]
    DifferentShows(String, String),
    #[error("cannot write CSV: {0}")]
    Csv(#[from] csv::Error),
}

/// One segment of one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub index: usize,
    pub title: String,
    pub speaker: Option<String>,
    pub kind: Kind,
    pub planned_start: DateTime<Utc>,
    pub actual_start: Option<DateTime<Utc>>,
    pub planned_ms: i64,
    /// How long the segment actually ran: the sum of its running spans (it may have been
    /// revisited), without pauses or other segments' time. `None` if it never started.
    pub actual_ms: Option<i64>,
    pub overrun_ms: Option<i64>,
    pub pauses: u32,
    /// How long it was held (paused, or waiting to be started after a move) once the show began.
    pub paused_ms: i64,
    pub messages: u32,
}

/// A run that stopped without a clean end (a crash, `kill -9`, a power cut).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Interruption {
    /// The last moment the journal recorded.
    pub at: DateTime<Utc>,
    /// The segment that was current then (0-based).
    pub index: usize,
    /// Whether it was running, or else held (paused, stopped at zero, waiting).
    pub running: bool,
    /// Its phase then, as the pages name it.
    pub phase: String,
}

/// The report of one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub title: String,
    /// The room of an event the run was (none for a plain session).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub room: Option<String>,
    pub journal: String,
    pub rehearsal: bool,
    pub speed: f64,
    pub timezone: String,
    #[serde(skip)]
    tz: chrono_tz::Tz,
    #[serde(skip)]
    hash: String,
    pub rows: Vec<Row>,
    pub planned_end: DateTime<Utc>,
    /// When the show ended; `None` if it never started or was interrupted.
    pub actual_end: Option<DateTime<Utc>>,
    /// Set when the run stopped without a clean end.
    pub interrupted: Option<Interruption>,
    /// Actual end minus planned end (positive = late).
    pub end_offset_ms: Option<i64>,
    /// The largest overruns, largest first (segment index, milliseconds).
    pub largest_overruns: Vec<(usize, i64)>,
    /// Planned minus actual length of the Q&A segments that ran (positive = the Q&A gave time).
    pub qa_absorbed_ms: Option<i64>,
}

impl Report {
    pub fn from_journal(recorded: &Recorded) -> Report {
        let header = &recorded.header;
        let show = header.show();
        let mut engine = Engine::new(&show).with_target(header.target());
        // Counts are kept by each segment's stable number (`Engine::segment_ids`): edits insert,
        // delete and move segments, and the rows are the edited run-of-show.
        let n = show.segments.len()
            + recorded
                .commands()
                .map(|(_, cmd)| match cmd {
                    Command::Edit(Edit::Insert { .. }) => 1,
                    Command::Edit(Edit::Upcoming { segments, .. }) => segments.len(),
                    _ => 0,
                })
                .sum::<usize>();
        let (mut pauses, mut messages) = (vec![0u32; n], vec![0u32; n]);
        let mut spans = Spans::new(n);
        let mut cursor: Option<ShowTime> = None;
        for (at, cmd) in recorded.commands() {
            if let Some(from) = cursor {
                spans.advance(&mut engine, from, at);
            }
            cursor = Some(cursor.map_or(at, |c| c.max(at)));
            let index = engine.segment_ids()[engine.index()] as usize;
            let running = engine.snapshot(at).phase.is_running();
            let applied = engine.apply(cmd.clone(), at).is_ok();
            match cmd {
                Command::Pause => pauses[index] += u32::from(applied),
                Command::Toggle if running => pauses[index] += u32::from(applied),
                Command::Message(message) if !message.is_clear() => {
                    messages[index] += u32::from(applied)
                }
                Command::Reset if applied => {
                    (pauses, messages, spans) = (vec![0; n], vec![0; n], Spans::new(n));
                }
                _ => {}
            }
        }
        let last_at = recorded
            .lines
            .iter()
            .map(|l| match l {
                Line::Command { at_ms, .. }
                | Line::Event { at_ms, .. }
                | Line::Resume { at_ms, .. }
                | Line::End { at_ms, .. } => *at_ms,
            })
            .max()
            .map(ShowTime);
        if let (Some(from), Some(to)) = (cursor, last_at) {
            spans.advance(&mut engine, from, to);
        }
        let show = engine.show().clone();
        let started = engine.records().iter().filter_map(|r| r.started).min();
        // Live runs use the real clock; rehearsals at another speed map show time onto the plan.
        let real_start =
            started.map(|s| wall((header.unix_at_zero_ms + s.0 as f64 / header.speed) as i64));
        let anchor = if header.speed == 1.0 {
            real_start
        } else {
            header.planned_start.or(real_start)
        };
        let planned_anchor = header
            .planned_start
            .or(real_start)
            .unwrap_or(header.created);
        let at_time = |t: ShowTime| -> Option<DateTime<Utc>> {
            let (anchor, started) = (anchor?, started?);
            Some(anchor + chrono::Duration::milliseconds(t.0 - started.0))
        };
        let mut offset = 0i64;
        let rows: Vec<Row> = show
            .segments
            .iter()
            .zip(engine.records())
            .zip(engine.segment_ids())
            .enumerate()
            .map(|(index, ((seg, rec), id))| {
                let id = *id as usize;
                let planned_ms = seg.duration.as_millis() as i64;
                let planned_start = planned_anchor + chrono::Duration::milliseconds(offset);
                offset += planned_ms;
                let actual_ms = rec.started.map(|_| spans.running_ms[id]);
                Row {
                    index,
                    title: seg.title.clone(),
                    speaker: seg.speaker.clone(),
                    kind: seg.kind,
                    planned_start,
                    actual_start: rec.started.and_then(at_time),
                    planned_ms,
                    actual_ms,
                    overrun_ms: actual_ms.map(|a| a - planned_ms),
                    pauses: pauses[id],
                    paused_ms: spans.held_ms[id],
                    messages: messages[id],
                }
            })
            .collect();
        let planned_end = planned_anchor + chrono::Duration::milliseconds(offset);
        let last = last_at.map(|at| engine.snapshot(at));
        let interrupted = match (&last, last_at) {
            (Some(snap), Some(at))
                if !recorded.finished()
                    && snap.show_started.is_some()
                    && snap.phase != Phase::Finished =>
            {
                at_time(at).map(|at| Interruption {
                    at,
                    index: snap.index,
                    running: snap.phase.is_running(),
                    phase: snap.phase.as_str().to_owned(),
                })
            }
            _ => None,
        };
        let actual_end = if interrupted.is_some() {
            None
        } else {
            engine
                .records()
                .iter()
                .filter_map(|r| r.ended.or(r.started.and(last_at)))
                .max()
                .and_then(at_time)
        };
        let mut largest: Vec<(usize, i64)> = rows
            .iter()
            .filter_map(|r| r.overrun_ms.filter(|o| *o > 0).map(|o| (r.index, o)))
            .collect();
        largest.sort_by_key(|(i, o)| (-o, *i));
        largest.truncate(3);
        let qa: Vec<&Row> = rows
            .iter()
            .filter(|r| r.kind == Kind::Qa && r.actual_ms.is_some())
            .collect();
        let qa_absorbed_ms =
            (!qa.is_empty()).then(|| qa.iter().map(|r| -r.overrun_ms.unwrap_or(0)).sum());
        Report {
            title: header.title.clone(),
            room: header.room.clone(),
            journal: recorded.path.display().to_string(),
            rehearsal: header.rehearsal,
            speed: header.speed,
            timezone: show.timezone.name().to_owned(),
            tz: show.timezone,
            hash: header.hash.clone(),
            end_offset_ms: actual_end.map(|a| (a - planned_end).num_milliseconds()),
            rows,
            planned_end,
            actual_end,
            interrupted,
            largest_overruns: largest,
            qa_absorbed_ms,
        }
    }

    fn label(&self) -> String {
        if self.rehearsal {
            format!("rehearsal ×{}", self.speed)
        } else {
            "live".to_owned()
        }
    }

    fn clock(&self, t: DateTime<Utc>) -> String {
        t.with_timezone(&self.tz).format("%H:%M:%S").to_string()
    }

    /// Markdown, readable in a terminal.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# {} — {}\n", md_text(&self.title), self.label());
        let _ = writeln!(
            out,
            "Journal: {}; times in {}.\n",
            md_text(&self.journal),
            self.timezone
        );
        let _ = writeln!(
            out,
            "| # | segment | planned start | actual start | planned | actual | overrun | pauses | messages |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|");
        for r in &self.rows {
            let name = match &r.speaker {
                Some(s) => format!("{} — {s}", r.title),
                None => r.title.clone(),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                r.index + 1,
                md_text(&name),
                self.clock(r.planned_start),
                r.actual_start.map_or("–".into(), |t| self.clock(t)),
                len(r.planned_ms),
                r.actual_ms.map_or("–".into(), len),
                r.overrun_ms.map_or("–".into(), signed),
                pauses_cell(r),
                r.messages
            );
        }
        let _ = writeln!(out);
        match (self.actual_end, self.end_offset_ms) {
            _ if self.interrupted.is_some() => {
                let i = self.interrupted.as_ref().expect("checked");
                let state = if i.running {
                    "running".to_owned()
                } else {
                    i.phase.clone()
                };
                let _ = writeln!(
                    out,
                    "Planned end {}; interrupted at {} (segment {} {state}): the run stopped \
                     without a clean end, and this is the last moment its journal recorded.",
                    self.clock(self.planned_end),
                    self.clock(i.at),
                    i.index + 1,
                );
            }
            (Some(end), Some(off)) => {
                let _ = writeln!(
                    out,
                    "Planned end {}, actual end {} ({}).",
                    self.clock(self.planned_end),
                    self.clock(end),
                    signed(off)
                );
            }
            _ => {
                let _ = writeln!(
                    out,
                    "Planned end {}; the show did not start.",
                    self.clock(self.planned_end)
                );
            }
        }
        if !self.largest_overruns.is_empty() {
            let list: Vec<String> = self
                .largest_overruns
                .iter()
                .map(|(i, o)| {
                    format!(
                        "{}. {} {}",
                        i + 1,
                        md_text(&self.rows[*i].title),
                        signed(*o)
                    )
                })
                .collect();
            let _ = writeln!(out, "Largest overruns: {}.", list.join("; "));
        }
        if let Some(q) = self.qa_absorbed_ms {
            let _ = if q >= 0 {
                writeln!(out, "The Q&A absorbed {}.", len(q))
            } else {
                writeln!(out, "The Q&A ran {} over.", len(-q))
            };
        }
        out
    }

    /// One CSV row per segment.
    pub fn csv(&self) -> Result<String, ReportError> {
        let mut w = csv::Writer::from_writer(Vec::new());
        self.write_csv(&mut w, None)?;
        csv_string(w)
    }

    /// The header (with `room` first when `room` is given) and one record per segment.
    fn write_csv(
        &self,
        w: &mut csv::Writer<Vec<u8>>,
        room: Option<(&str, bool)>,
    ) -> Result<(), ReportError> {
        let first: Vec<&str> = room.map(|_| "room").into_iter().collect();
        if room.is_none_or(|(_, header)| header) {
            w.write_record(first.iter().copied().chain([
                "index",
                "title",
                "speaker",
                "kind",
                "planned_start",
                "actual_start",
                "planned_s",
                "actual_s",
                "overrun_s",
                "pauses",
                "messages",
            ]))?;
        }
        for r in &self.rows {
            let room: Vec<String> = room.map(|(id, _)| id.to_owned()).into_iter().collect();
            w.write_record(
                room.into_iter().chain([
                    (r.index + 1).to_string(),
                    crate::show::csv_text(&r.title).into_owned(),
                    crate::show::csv_text(r.speaker.as_deref().unwrap_or_default()).into_owned(),
                    r.kind.as_str().to_owned(),
                    r.planned_start.with_timezone(&self.tz).to_rfc3339(),
                    r.actual_start
                        .map(|t| t.with_timezone(&self.tz).to_rfc3339())
                        .unwrap_or_default(),
                    secs(r.planned_ms),
                    r.actual_ms.map(secs).unwrap_or_default(),
                    r.overrun_ms.map(secs).unwrap_or_default(),
                    r.pauses.to_string(),
                    r.messages.to_string(),
                ]),
            )?;
        }
        Ok(())
    }
}

/// The text a CSV writer into memory wrote.
fn csv_string(w: csv::Writer<Vec<u8>>) -> Result<String, ReportError> {
    Ok(String::from_utf8_lossy(
        &w.into_inner()
            .map_err(|e| csv::Error::from(e.into_error()))?,
    )
    .into_owned())
}

impl Report {
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report serializes")
    }
}

/// Several runs of one show, segment by segment.
pub struct Comparison<'a>(pub &'a [Report]);

impl Comparison<'_> {
    pub fn check(reports: &[Report]) -> Result<Comparison<'_>, ReportError> {
        for r in reports.iter().skip(1) {
            let first = &reports[0];
            let same = r.hash == first.hash
                || r.rows
                    .iter()
                    .map(|x| &x.title)
                    .eq(first.rows.iter().map(|x| &x.title));
            if !same {
                return Err(ReportError::DifferentShows(
                    first.journal.clone(),
                    r.journal.clone(),
                ));
            }
        }
        Ok(Comparison(reports))
    }

    pub fn markdown(&self) -> String {
        let runs = self.0;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# {} — {} runs compared\n",
            md_text(&runs[0].title),
            runs.len()
        );
        for (i, r) in runs.iter().enumerate() {
            let _ = writeln!(
                out,
                "- run {}: {} ({})",
                i + 1,
                r.label(),
                md_text(&r.journal)
            );
        }
        let _ = writeln!(out);
        let mut head = "| # | segment | planned |".to_owned();
        let mut rule = "|---|---|---|".to_owned();
        for i in 0..runs.len() {
            let _ = write!(head, " run {} |", i + 1);
            rule.push_str("---|");
        }
        let _ = writeln!(out, "{head}\n{rule}");
        for (i, row) in runs[0].rows.iter().enumerate() {
            let mut line = format!(
                "| {} | {} | {} |",
                i + 1,
                md_text(&row.title),
                len(row.planned_ms)
            );
            for r in runs {
                let cell = match (r.rows[i].actual_ms, r.rows[i].overrun_ms) {
                    (Some(a), Some(o)) => format!(" {} ({}) |", len(a), signed(o)),
                    _ => " – |".to_owned(),
                };
                line.push_str(&cell);
            }
            let _ = writeln!(out, "{line}");
        }
        let mut ends = "| | end vs plan | |".to_owned();
        for r in runs {
            let _ = write!(ends, " {} |", r.end_offset_ms.map_or("–".into(), signed));
        }
        let _ = writeln!(out, "{ends}");
        out
    }

    pub fn csv(&self) -> Result<String, ReportError> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut head = vec![
            "index".to_owned(),
            "title".to_owned(),
            "planned_s".to_owned(),
        ];
        for i in 0..self.0.len() {
            head.push(format!("run{}_actual_s", i + 1));
            head.push(format!("run{}_overrun_s", i + 1));
        }
        w.write_record(&head)?;
        for (i, row) in self.0[0].rows.iter().enumerate() {
            let mut rec = vec![
                (i + 1).to_string(),
                crate::show::csv_text(&row.title).into_owned(),
                secs(row.planned_ms),
            ];
            for r in self.0 {
                rec.push(r.rows[i].actual_ms.map(secs).unwrap_or_default());
                rec.push(r.rows[i].overrun_ms.map(secs).unwrap_or_default());
            }
            w.write_record(&rec)?;
        }
        Ok(String::from_utf8_lossy(
            &w.into_inner()
                .map_err(|e| csv::Error::from(e.into_error()))?,
        )
        .into_owned())
    }

    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self.0).expect("reports serialize")
    }
}

/// `text` as inert Markdown inline text, safe in a table cell or a heading: line breaks and other
/// control characters become spaces (no new line, heading or row), `|` and `\\` are escaped (no
/// new cell), `<` and `>` become entities (no HTML, no autolink), an `&` that could start an
/// entity is escaped, and `[`, `]` are escaped so no link or image can form. Other punctuation
/// is left alone so the report stays readable in a terminal.
/// The report of an event's run: its journals grouped by room, in the order given.
pub struct EventReport {
    pub rooms: Vec<(String, Vec<Report>)>,
}

impl EventReport {
    /// Groups reports by the room their journals name; `None` unless they are of an event (some
    /// journal names a room). A plain session's journal among them is room
    /// [`podium_core::event::SINGLE_ROOM`].
    pub fn group(reports: &[Report]) -> Option<EventReport> {
        if reports.iter().all(|r| r.room.is_none()) {
            return None;
        }
        let mut rooms: Vec<(String, Vec<Report>)> = Vec::new();
        for report in reports {
            let id = report
                .room
                .clone()
                .unwrap_or_else(|| podium_core::event::SINGLE_ROOM.to_owned());
            match rooms.iter_mut().find(|(room, _)| *room == id) {
                Some((_, runs)) => runs.push(report.clone()),
                None => rooms.push((id, vec![report.clone()])),
            }
        }
        Some(EventReport { rooms })
    }

    /// Refuses a room whose runs record different shows.
    pub fn check(&self) -> Result<(), ReportError> {
        for (_, runs) in &self.rooms {
            Comparison::check(runs)?;
        }
        Ok(())
    }

    /// The whole event first (one line per run: room, show, planned and actual end), then each
    /// room's report, or the comparison of its runs, under its heading.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let runs: usize = self.rooms.iter().map(|(_, r)| r.len()).sum();
        let _ = writeln!(
            out,
            "# Event report: {} rooms, {runs} runs\n",
            self.rooms.len()
        );
        let _ = writeln!(
            out,
            "| room | show | run | planned end | actual end | end |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|");
        for (id, reports) in &self.rooms {
            for r in reports {
                let (actual, off) = match (&r.interrupted, r.actual_end, r.end_offset_ms) {
                    (Some(i), _, _) => (format!("interrupted {}", r.clock(i.at)), "–".into()),
                    (None, Some(end), Some(off)) => (r.clock(end), signed(off)),
                    _ => ("not started".into(), "–".into()),
                };
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {actual} | {off} |",
                    md_text(id),
                    md_text(&r.title),
                    r.label(),
                    r.clock(r.planned_end),
                );
            }
        }
        for (id, reports) in &self.rooms {
            let _ = writeln!(out, "\n## Room {}\n", md_text(id));
            let body = match reports.as_slice() {
                [one] => one.markdown(),
                several => Comparison(several).markdown(),
            };
            // The room's headings one level down.
            for line in body.lines() {
                if line.starts_with('#') {
                    let _ = writeln!(out, "##{line}");
                } else {
                    let _ = writeln!(out, "{line}");
                }
            }
        }
        out
    }

    /// One CSV: every run's segments, a `room` column first.
    pub fn csv(&self) -> Result<String, ReportError> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut header = true;
        for (id, reports) in &self.rooms {
            for r in reports {
                r.write_csv(&mut w, Some((id, header)))?;
                header = false;
            }
        }
        csv_string(w)
    }

    /// `{"rooms": [{"room": ID, "runs": [report, …]}, …]}`.
    pub fn json(&self) -> String {
        #[derive(Serialize)]
        struct RoomRuns<'a> {
            room: &'a str,
            runs: &'a [Report],
        }
        #[derive(Serialize)]
        struct Rooms<'a> {
            rooms: Vec<RoomRuns<'a>>,
        }
        let rooms = Rooms {
            rooms: self
                .rooms
                .iter()
                .map(|(room, runs)| RoomRuns { room, runs })
                .collect(),
        };
        serde_json::to_string_pretty(&rooms).expect("a report serializes")
    }
}

fn md_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_control() => {
                if !out.ends_with(' ') {
                    out.push(' ');
                }
            }
            '|' | '\\' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => {
                let rest: String = chars.clone().take(33).collect();
                let name = rest
                    .trim_start_matches('#')
                    .trim_start_matches(|c: char| c.is_ascii_alphanumeric());
                if name.starts_with(';') && rest.len() > name.len() {
                    out.push_str("&amp;");
                } else {
                    out.push('&');
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// Each segment's running and held time, credited span by span as the journal is replayed.
struct Spans {
    running_ms: Vec<i64>,
    held_ms: Vec<i64>,
}

impl Spans {
    fn new(n: usize) -> Spans {
        Spans {
            running_ms: vec![0; n],
            held_ms: vec![0; n],
        }
    }

    /// Credits show time `from..to` to whatever the engine was doing, carrying out hand-overs
    /// and stops at their own deadlines (as the live controller's ticks did).
    fn advance(&mut self, engine: &mut Engine, from: ShowTime, to: ShowTime) {
        let mut at = from;
        while at < to {
            engine.tick(at);
            let snap = engine.snapshot(at);
            let id = engine.segment_ids()[snap.index] as usize;
            let ends_itself = engine
                .show()
                .segments
                .get(snap.index)
                .is_some_and(|s| s.on_end != OnEnd::Overtime);
            let until = match snap.deadline {
                Some(d) if snap.phase.is_running() && ends_itself && d > at && d < to => d,
                _ => to,
            };
            let span = until.0 - at.0;
            if snap.phase.is_running() {
                self.running_ms[id] += span;
            } else if snap.phase == Phase::Paused && snap.show_started.is_some() {
                self.held_ms[id] += span;
            }
            at = until;
        }
    }
}

/// The number of pauses, and how long the segment was held when it was.
fn pauses_cell(r: &Row) -> String {
    if r.paused_ms > 0 {
        format!("{} ({})", r.pauses, len(r.paused_ms))
    } else {
        r.pauses.to_string()
    }
}

/// A length to the nearest second, halves up, as every view says it (`podium_core::display`).
fn len(ms: i64) -> String {
    display::clock(display::whole_seconds(ms as f64))
}

/// An overrun to the nearest second with its sign: `+1:05`, `−0:30`, `±0:00`.
fn signed(ms: i64) -> String {
    // Rounded for people; the JSON keeps milliseconds.
    let seconds = display::whole_seconds(ms as f64);
    let sign = match seconds {
        0 => "±",
        _ if ms > 0 => "+",
        _ => "−",
    };
    format!("{sign}{}", display::clock(seconds))
}

fn secs(ms: i64) -> String {
    format!("{:.1}", ms as f64 / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lengths and overruns are rounded as every view rounds them (`podium_core::display`).
    #[test]
    fn lengths_and_overruns_are_said_to_the_nearest_second() {
        assert_eq!(len(3_700_000), "1:01:40");
        assert_eq!(len(1_500), "0:02");
        assert_eq!(len(1_499), "0:01");
        assert_eq!(signed(1_600), "+0:02");
        assert_eq!(signed(-1_500), "−0:02");
        assert_eq!(signed(400), "±0:00");
        assert_eq!(signed(-3_700_400), "−1:01:40");
    }
}
