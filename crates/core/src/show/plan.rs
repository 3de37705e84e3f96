//! The planned timetable of a show: when each segment starts and ends, as offsets from the start and,
//! when the start is known, as wall-clock times in any number of zones (daylight saving included,
//! since every time is computed in UTC and only converted for display). It also checks the plan
//! against the slot (`end`) and the programme's wall-clock anchors (`at`).

use std::fmt::Write as _;
use std::time::Duration;

use chrono::{DateTime, NaiveTime, Offset, Utc};
use chrono_tz::Tz;

use super::zone::clock_with_label;
use super::{Show, format_hms};
use crate::text::printable;

/// One planned segment.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanRow {
    pub index: usize,
    pub offset: Duration,
    pub duration: Duration,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub anchor: Option<Anchor>,
}

/// A segment's wall-clock anchor and how the plan meets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Anchor {
    pub time: NaiveTime,
    /// The anchor as an instant (known when the start is).
    pub at: Option<DateTime<Utc>>,
    /// Planned start minus the anchor, in seconds: positive overlaps (the segment starts late),
    /// negative leaves a gap. Known when the start is.
    pub late_secs: Option<i64>,
}

/// The timetable of a show for a given start, shown in the show's zone and any extra zones.
#[derive(Debug, Clone)]
pub struct Timetable<'a> {
    pub show: &'a Show,
    pub start: Option<DateTime<Utc>>,
    /// The end of the slot for this start.
    pub slot_end: Option<DateTime<Utc>>,
    pub rows: Vec<PlanRow>,
}

fn chrono_of(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or_default()
}

impl<'a> Timetable<'a> {
    /// Plans `show` from `start` (or the show's own start when `None`). Segments follow each other
    /// back to back, as the live show runs them; anchors are compared, never waited for.
    pub fn new(show: &'a Show, start: Option<DateTime<Utc>>) -> Self {
        let start = start.or(show.start);
        let mut offset = Duration::ZERO;
        let rows = show
            .segments
            .iter()
            .enumerate()
            .map(|(index, seg)| {
                let at = |d: Duration| start.map(|s| s + chrono_of(d));
                let row_start = at(offset);
                let anchor = seg.at.map(|time| {
                    let at = start.map(|s| show.anchor_for(s, time));
                    let late_secs = at
                        .zip(row_start)
                        .map(|(anchor, planned)| (planned - anchor).num_seconds());
                    Anchor {
                        time,
                        at,
                        late_secs,
                    }
                });
                let row = PlanRow {
                    index,
                    offset,
                    duration: seg.duration,
                    start: row_start,
                    end: at(offset + seg.duration),
                    anchor,
                };
                offset += seg.duration;
                row
            })
            .collect();
        Timetable {
            show,
            start,
            slot_end: show.end_for(start),
            rows,
        }
    }

    /// When the plan ends, if the start is known.
    pub fn planned_end(&self) -> Option<DateTime<Utc>> {
        self.rows.last().and_then(|r| r.end)
    }

    /// Slot end minus planned end, in seconds: negative means the plan overruns the slot.
    pub fn slack_secs(&self) -> Option<i64> {
        let (end, planned) = (self.slot_end?, self.planned_end()?);
        Some((end - planned).num_seconds())
    }

    /// What an organiser should look at: a legacy zone abbreviation (`EST`), an overrun of the
    /// slot, a gap or an overlap at an anchor.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        let tz = self.show.timezone;
        out.extend(super::zone::caution(tz));
        if let (Some(slack), Some(end)) = (self.slack_secs(), self.slot_end)
            && slack < 0
        {
            let over = Duration::from_secs(slack.unsigned_abs());
            let flex = self.show.total() - self.show.shortest();
            let remedy = if flex >= over {
                format!(
                    "shortening segments towards their `min` gains up to {}: `fit` during the show, or shorten the plan",
                    format_hms(flex)
                )
            } else {
                format!(
                    "even with every segment at its `min` it is {} too long: shorten the plan or move `end`",
                    format_hms(over - flex)
                )
            };
            out.push(format!(
                "the plan runs {} past the end of the slot ({}): {remedy}",
                format_hms(over),
                clock_with_label(&end.with_timezone(&tz))
            ));
        }
        for row in &self.rows {
            let Some(Anchor {
                time,
                late_secs: Some(late),
                ..
            }) = row.anchor
            else {
                continue;
            };
            let seg = &self.show.segments[row.index];
            let what = format!(
                "segment {} ({:?}) is anchored at {}",
                row.index + 1,
                seg.title,
                time.format("%H:%M")
            );
            let by = format_hms(Duration::from_secs(late.unsigned_abs()));
            if late > 0 {
                out.push(format!(
                    "{what} but the plan reaches it {by} later: shorten what comes before or move the anchor"
                ));
            } else if late < 0 {
                out.push(format!(
                    "{what} but the plan reaches it {by} early, leaving a gap: lengthen what comes before or move the anchor"
                ));
            }
        }
        out
    }

    /// A plain-text table: one line per segment, times in the show's zone then each of `zones`.
    pub fn render(&self, zones: &[Tz]) -> String {
        self.render_text(zones, false)
    }

    /// The text table, with each segment's notes under it if `notes` (the organiser's copy). The
    /// show's own text goes through [`printable`]: it is bound for a terminal. It fits
    /// [`TEXT_WIDTH`] columns with the show's zone and one more: the segment column gives way to
    /// the zones' columns, down to [`MIN_NAME`] characters (three zones and more are wider).
    pub fn render_text(&self, zones: &[Tz], notes: bool) -> String {
        let mut all = vec![self.show.timezone];
        all.extend(zones.iter().copied().filter(|z| *z != self.show.timezone));
        let times = if self.start.is_some() {
            ZONE_CELL * all.len()
        } else {
            FROM_START_CELL
        };
        let name_width = TEXT_WIDTH
            .saturating_sub(FIXED_COLUMNS + times)
            .clamp(MIN_NAME, MAX_NAME);
        let mut out = String::new();
        let _ = writeln!(out, "{}", printable(&self.show.title));
        match self.start {
            Some(start) => {
                for tz in &all {
                    let local = start.with_timezone(tz);
                    let _ = writeln!(
                        out,
                        "  starts {} {} ({tz})",
                        local.format("%a %d %b %Y"),
                        clock_with_label(&local)
                    );
                }
            }
            None => {
                let _ = writeln!(
                    out,
                    "  no start time: times are from the start (give --start or `start` in the file)"
                );
            }
        }
        let _ = writeln!(out);
        let mut header = format!(
            "{:>3}  {:<name_width$} {:>8} {:>6}",
            "#", "segment", "length", "flex"
        );
        if self.start.is_some() {
            for tz in &all {
                let _ = write!(header, "  {:<13}", short_zone(*tz));
            }
        } else {
            header.push_str("  from start");
        }
        let _ = writeln!(out, "{header}");
        for row in &self.rows {
            let seg = &self.show.segments[row.index];
            let mut name = printable(&seg.title).into_owned();
            if let Some(sp) = &seg.speaker {
                name = format!("{name} — {}", printable(sp));
            }
            let flex = match seg.flex() {
                Duration::ZERO => String::new(),
                flex => format!("-{}", format_hms(flex)),
            };
            let mut line = format!(
                "{:>3}  {:<name_width$} {:>8} {flex:>6}",
                row.index + 1,
                truncate(&name, name_width),
                format_hms(row.duration)
            );
            match (row.start, row.end) {
                (Some(s), Some(e)) => {
                    for tz in &all {
                        let (s, e) = (s.with_timezone(tz), e.with_timezone(tz));
                        let day = if s.date_naive() != e.date_naive() {
                            "+1"
                        } else {
                            ""
                        };
                        // After a clock change the zone's abbreviation tells which 02:30 it is.
                        let first = self.start.map(|t| t.with_timezone(tz).offset().fix());
                        let clock = |t: DateTime<Tz>| {
                            if Some(t.offset().fix()) == first {
                                t.format("%H:%M").to_string()
                            } else {
                                clock_with_label(&t)
                            }
                        };
                        let cell = format!("{}–{}{day}", clock(s), clock(e));
                        let _ = write!(line, "  {cell:<13}");
                    }
                }
                _ => {
                    let _ = write!(
                        line,
                        "  +{}–+{}",
                        format_hms(row.offset),
                        format_hms(row.offset + row.duration)
                    );
                }
            }
            let _ = writeln!(out, "{}", line.trim_end());
            if let Some(anchor) = row.anchor {
                let how = match anchor.late_secs {
                    None => "not checked without a start".to_owned(),
                    Some(0) => "on time".to_owned(),
                    Some(late) => format!(
                        "{} {}",
                        format_hms(Duration::from_secs(late.unsigned_abs())),
                        if late > 0 { "overlap" } else { "gap" }
                    ),
                };
                let _ = writeln!(
                    out,
                    "{:>5}anchored at {}: {how}",
                    "",
                    anchor.time.format("%H:%M")
                );
            }
            for line in seg.notes.iter().filter(|_| notes).flat_map(|n| n.lines()) {
                let _ = writeln!(out, "{:>5}{}", "", printable(line).trim_end());
            }
        }
        let _ = writeln!(out);
        let _ = write!(out, "  total {}", format_hms(self.show.total()));
        let flex = self.show.total() - self.show.shortest();
        if !flex.is_zero() {
            let _ = write!(out, " (at least {})", format_hms(self.show.shortest()));
        }
        if let Some(end) = self.planned_end() {
            let _ = write!(
                out,
                ", ends {}",
                clock_with_label(&end.with_timezone(&self.show.timezone))
            );
        }
        out.push('\n');
        match (self.slot_end, self.slack_secs()) {
            (Some(end), Some(slack)) => {
                let end = clock_with_label(&end.with_timezone(&self.show.timezone));
                let by = format_hms(Duration::from_secs(slack.unsigned_abs()));
                let verdict = match slack {
                    0 => "fits exactly".to_owned(),
                    s if s > 0 => format!("fits, {by} to spare"),
                    _ => format!("DOES NOT FIT: {by} over"),
                };
                let _ = writeln!(out, "  slot ends {end}: {verdict}");
            }
            _ if self.show.end.is_some() => {
                let _ = writeln!(out, "  the slot's end is known once the start is");
            }
            _ => {}
        }
        for warning in self.warnings() {
            let _ = writeln!(out, "  warning: {warning}");
        }
        out
    }
}

fn short_zone(tz: Tz) -> String {
    let name = tz.name();
    name.rsplit('/').next().unwrap_or(name).replace('_', " ")
}

/// The width the text table is made to fit: the terminal most people have.
pub const TEXT_WIDTH: usize = 80;
/// The segment column's widest (the whole table at [`TEXT_WIDTH`] with one zone) and narrowest.
const MAX_NAME: usize = 44;
const MIN_NAME: usize = 20;
/// `  #  ` before the segment column, ` length flex` after it.
const FIXED_COLUMNS: usize = 5 + 1 + 8 + 1 + 6;
/// Each zone's `  15:00–15:05+1` cell; `  +1:20:00–+1:30:00` without a start.
const ZONE_CELL: usize = 2 + 13;
const FROM_START_CELL: usize = 2 + 17;

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}
