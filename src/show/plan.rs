//! The planned timetable of a show: when each segment starts and ends, as offsets from the start and,
//! when the start is known, as wall-clock times in any number of zones (daylight saving included,
//! since every time is computed in UTC and only converted for display).

use std::fmt::Write as _;
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::{Show, format_hms};

/// One planned segment.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanRow {
    pub index: usize,
    pub offset: Duration,
    pub duration: Duration,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
}

/// The timetable of a show for a given start, shown in the show's zone and any extra zones.
#[derive(Debug, Clone)]
pub struct Timetable<'a> {
    pub show: &'a Show,
    pub start: Option<DateTime<Utc>>,
    pub rows: Vec<PlanRow>,
}

impl<'a> Timetable<'a> {
    /// Plans `show` from `start` (or the show's own start when `None`).
    pub fn new(show: &'a Show, start: Option<DateTime<Utc>>) -> Self {
        let start = start.or(show.start);
        let mut offset = Duration::ZERO;
        let rows = show
            .segments
            .iter()
            .enumerate()
            .map(|(index, seg)| {
                let at = |d: Duration| {
                    start.map(|s| s + chrono::Duration::from_std(d).unwrap_or_default())
                };
                let row = PlanRow {
                    index,
                    offset,
                    duration: seg.duration,
                    start: at(offset),
                    end: at(offset + seg.duration),
                };
                offset += seg.duration;
                row
            })
            .collect();
        Timetable { show, start, rows }
    }

    /// A plain-text table: one line per segment, times in the show's zone then each of `zones`.
    pub fn render(&self, zones: &[Tz]) -> String {
        let mut all = vec![self.show.timezone];
        all.extend(zones.iter().copied().filter(|z| *z != self.show.timezone));
        let mut out = String::new();
        let _ = writeln!(out, "{}", self.show.title);
        match self.start {
            Some(start) => {
                for tz in &all {
                    let local = start.with_timezone(tz);
                    let _ = writeln!(
                        out,
                        "  starts {} ({tz})",
                        local.format("%a %d %b %Y %H:%M %Z")
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
        let mut header = format!("{:>3}  {:<44} {:>8}", "#", "segment", "length");
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
            let mut name = seg.title.clone();
            if let Some(sp) = &seg.speaker {
                name = format!("{name} — {sp}");
            }
            let mut line = format!(
                "{:>3}  {:<44} {:>8}",
                row.index + 1,
                truncate(&name, 44),
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
                        let _ = write!(
                            line,
                            "  {}–{}{day:<2}",
                            s.format("%H:%M"),
                            e.format("%H:%M")
                        );
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
        }
        let _ = writeln!(out);
        let _ = write!(out, "  total {}", format_hms(self.show.total()));
        if let Some(end) = self.rows.last().and_then(|r| r.end) {
            let _ = write!(
                out,
                ", ends {}",
                end.with_timezone(&self.show.timezone).format("%H:%M %Z")
            );
        }
        out.push('\n');
        out
    }
}

fn short_zone(tz: Tz) -> String {
    let name = tz.name();
    name.rsplit('/').next().unwrap_or(name).replace('_', " ")
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}
