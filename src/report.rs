//! Planned-versus-actual reports from journals: one row per segment (planned and actual start,
//! planned and actual length, overrun, pauses, messages), totals, and a segment-by-segment
//! comparison of several runs of the same show. All times are show time: a rehearsal at
//! `--speed 9.6` reports the lengths the real show would have had.

use std::fmt::Write as _;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::engine::{Command, Engine, ShowTime};
use crate::journal::{Line, Recorded, wall};
use crate::show::{Kind, format_hms};

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
    pub actual_ms: Option<i64>,
    pub overrun_ms: Option<i64>,
    pub pauses: u32,
    pub messages: u32,
}

/// The report of one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub title: String,
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
    pub actual_end: Option<DateTime<Utc>>,
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
        let n = show.segments.len();
        let (mut pauses, mut messages) = (vec![0u32; n], vec![0u32; n]);
        for (at, cmd) in recorded.commands() {
            let index = engine.index();
            let running = engine.snapshot(at).phase.is_running();
            let applied = engine.apply(cmd.clone(), at).is_ok();
            match cmd {
                Command::Pause => pauses[index] += u32::from(applied),
                Command::Toggle if running => pauses[index] += u32::from(applied),
                Command::Message(text) if !text.is_empty() => messages[index] += u32::from(applied),
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
            .enumerate()
            .map(|(index, (seg, rec))| {
                let planned_ms = seg.duration.as_millis() as i64;
                let planned_start = planned_anchor + chrono::Duration::milliseconds(offset);
                offset += planned_ms;
                let end = rec.ended.or(rec.started.and(last_at));
                let actual_ms = rec.started.zip(end).map(|(s, e)| e.0 - s.0);
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
                    pauses: pauses[index],
                    messages: messages[index],
                }
            })
            .collect();
        let planned_end = planned_anchor + chrono::Duration::milliseconds(offset);
        let actual_end = engine
            .records()
            .iter()
            .filter_map(|r| r.ended.or(r.started.and(last_at)))
            .max()
            .and_then(at_time);
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
        let _ = writeln!(out, "# {} — {}\n", self.title, self.label());
        let _ = writeln!(
            out,
            "Journal: `{}`; times in {}.\n",
            self.journal, self.timezone
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
                name.replace('|', "/"),
                self.clock(r.planned_start),
                r.actual_start.map_or("–".into(), |t| self.clock(t)),
                len(r.planned_ms),
                r.actual_ms.map_or("–".into(), len),
                r.overrun_ms.map_or("–".into(), signed),
                r.pauses,
                r.messages
            );
        }
        let _ = writeln!(out);
        match (self.actual_end, self.end_offset_ms) {
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
                .map(|(i, o)| format!("{}. {} {}", i + 1, self.rows[*i].title, signed(*o)))
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
        w.write_record([
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
        ])?;
        for r in &self.rows {
            w.write_record([
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
            ])?;
        }
        Ok(String::from_utf8_lossy(
            &w.into_inner()
                .map_err(|e| csv::Error::from(e.into_error()))?,
        )
        .into_owned())
    }

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
        let _ = writeln!(out, "# {} — {} runs compared\n", runs[0].title, runs.len());
        for (i, r) in runs.iter().enumerate() {
            let _ = writeln!(out, "- run {}: {} (`{}`)", i + 1, r.label(), r.journal);
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
                row.title.replace('|', "/"),
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

/// A length rounded to the nearest second, as `signed` does, so figures agree.
fn len(ms: i64) -> String {
    format_hms(Duration::from_secs((ms.unsigned_abs() + 500) / 1000))
}

fn signed(ms: i64) -> String {
    // Round to whole seconds for people; the JSON keeps milliseconds.
    let s = (ms as f64 / 1000.0).round() as i64;
    let sign = if s > 0 {
        "+"
    } else if s < 0 {
        "−"
    } else {
        "±"
    };
    format!(
        "{sign}{}",
        format_hms(Duration::from_secs(s.unsigned_abs()))
    )
}

fn secs(ms: i64) -> String {
    format!("{:.1}", ms as f64 / 1000.0)
}
