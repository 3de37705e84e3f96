//! The timetable in the formats organisers pass around: plain text for a terminal, JSON for
//! scripts, CSV for a spreadsheet (the `csv` crate) and iCalendar for the speakers' calendars (the
//! `icalendar` crate). Every time is planned in UTC; zones are only applied here, for display.
//!
//! Every format is written for the speakers unless told otherwise: the session file's `notes` are
//! the moderator's and appear only with [`Notes::Include`] (`--with-notes`, for the organiser's own
//! copy): as the ICS description's last paragraph, a JSON `notes` field, a CSV `notes` column, or
//! indented lines under each row of the text table. The show's text is data, never markup: the
//! text table goes through [`crate::text::printable`], ICS text is escaped per RFC 5545 (no
//! control character but tab and newline survives), and a CSV text cell a spreadsheet would run
//! as a formula is defused by [`csv_text`].

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use icalendar::{Calendar, Component, EventLike, Property};
use serde::Serialize;

use super::{Timetable, format_hms};

/// An output format of `podium plan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Csv,
    Ics,
}

/// Why a timetable could not be written in the asked format.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(
        "an iCalendar file needs a start time: give --start \"2022-11-21T15:00\" or `start` in the file"
    )]
    NoStart,
    #[error("cannot write CSV: {0}")]
    Csv(#[from] csv::Error),
}

/// Whether an export carries the moderator-only notes: omitted from what speakers get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notes {
    Omit,
    Include,
}

/// Writes `plan` in `format` for the speakers (no notes), with times in the show's zone and each
/// of `zones`.
pub fn render(plan: &Timetable, zones: &[Tz], format: Format) -> Result<String, ExportError> {
    render_with(plan, zones, format, Notes::Omit)
}

/// Writes `plan` in `format`, with the moderator's notes if `notes` says so.
pub fn render_with(
    plan: &Timetable,
    zones: &[Tz],
    format: Format,
    notes: Notes,
) -> Result<String, ExportError> {
    let mut all = vec![plan.show.timezone];
    all.extend(zones.iter().copied().filter(|z| *z != plan.show.timezone));
    let notes = notes == Notes::Include;
    match format {
        Format::Text => Ok(plan.render_text(zones, notes)),
        Format::Json => Ok(json(plan, &all, notes)),
        Format::Csv => csv(plan, &all, notes),
        Format::Ics => ics(plan, notes),
    }
}

/// A CSV cell of free text (a title, a speaker, notes), safe to open in a spreadsheet: a cell
/// starting with `=`, `+`, `-`, `@`, a tab or a carriage return would be read as a formula (and
/// could run one), so it gets a leading `'`, as OWASP advises: the cell then reads as text (some
/// spreadsheets show the quote, none runs the cell).
/// Only text cells go through here: numbers and times (`-300`, `-5:00`) stay readable as such.
/// `podium import` removes the quote again, so an exported title imports as it was.
pub fn csv_text(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// Text for an iCalendar TEXT value: a line break of any kind becomes a newline (which the
/// `icalendar` crate writes escaped, as the two characters `\n`, with `\`, `;` and `,`), and every
/// other control character but tab goes: RFC 5545 allows none in TEXT, and a bare CR would end
/// the line for some readers.
fn ics_text(text: &str) -> String {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .collect()
}

fn secs(d: Duration) -> u64 {
    d.as_secs()
}

fn local(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).to_rfc3339()
}

#[derive(Serialize)]
struct PlanJson<'a> {
    title: &'a str,
    timezone: &'a str,
    start: Option<String>,
    planned_end: Option<String>,
    slot_end: Option<String>,
    /// Slot end minus planned end; negative: the plan overruns.
    slack_s: Option<i64>,
    fits: Option<bool>,
    total_s: u64,
    shortest_s: u64,
    segments: Vec<SegmentJson<'a>>,
    warnings: Vec<String>,
}

#[derive(Serialize)]
struct SegmentJson<'a> {
    index: usize,
    title: &'a str,
    speaker: Option<&'a str>,
    kind: &'static str,
    duration_s: u64,
    min_s: u64,
    max_s: Option<u64>,
    flex_s: u64,
    offset_s: u64,
    /// Zone name → start and end in that zone (RFC 3339 with the zone's offset).
    times: BTreeMap<&'static str, [String; 2]>,
    anchor: Option<AnchorJson>,
    /// The moderator's notes: only in the organiser's copy (`--with-notes`).
    #[serde(skip_serializing_if = "Option::is_none")]
    notes: Option<&'a str>,
}

#[derive(Serialize)]
struct AnchorJson {
    at: String,
    /// Planned start minus the anchor: positive overlaps, negative leaves a gap.
    late_s: Option<i64>,
}

fn json(plan: &Timetable, zones: &[Tz], with_notes: bool) -> String {
    let show = plan.show;
    let tz = show.timezone;
    let msg = PlanJson {
        title: &show.title,
        timezone: tz.name(),
        start: plan.start.map(|t| local(t, tz)),
        planned_end: plan.planned_end().map(|t| local(t, tz)),
        slot_end: plan.slot_end.map(|t| local(t, tz)),
        slack_s: plan.slack_secs(),
        fits: plan.slack_secs().map(|s| s >= 0),
        total_s: secs(show.total()),
        shortest_s: secs(show.shortest()),
        segments: plan
            .rows
            .iter()
            .map(|row| {
                let seg = &show.segments[row.index];
                SegmentJson {
                    index: row.index,
                    title: &seg.title,
                    speaker: seg.speaker.as_deref(),
                    kind: seg.kind.as_str(),
                    duration_s: secs(seg.duration),
                    min_s: secs(seg.shortest()),
                    max_s: seg.max.map(secs),
                    flex_s: secs(seg.flex()),
                    offset_s: secs(row.offset),
                    times: match (row.start, row.end) {
                        (Some(s), Some(e)) => zones
                            .iter()
                            .map(|z| (z.name(), [local(s, *z), local(e, *z)]))
                            .collect(),
                        _ => BTreeMap::new(),
                    },
                    anchor: row.anchor.map(|a| AnchorJson {
                        at: a.time.format("%H:%M").to_string(),
                        late_s: a.late_secs,
                    }),
                    notes: seg.notes.as_deref().filter(|_| with_notes),
                }
            })
            .collect(),
        warnings: plan.warnings(),
    };
    let mut text = serde_json::to_string_pretty(&msg).expect("plain data serializes");
    text.push('\n');
    text
}

fn csv(plan: &Timetable, zones: &[Tz], with_notes: bool) -> Result<String, ExportError> {
    let show = plan.show;
    let mut out = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = [
        "index",
        "title",
        "speaker",
        "kind",
        "duration",
        "min",
        "max",
        "flex",
        "offset",
        "at",
        "anchor_late",
    ]
    .map(String::from)
    .to_vec();
    if with_notes {
        header.push("notes".into());
    }
    if plan.start.is_some() {
        for z in zones {
            header.push(format!("start {}", z.name()));
            header.push(format!("end {}", z.name()));
        }
    }
    out.write_record(&header)?;
    for row in &plan.rows {
        let seg = &show.segments[row.index];
        let mut record = vec![
            (row.index + 1).to_string(),
            csv_text(&seg.title).into_owned(),
            csv_text(seg.speaker.as_deref().unwrap_or_default()).into_owned(),
            seg.kind.as_str().to_owned(),
            format_hms(seg.duration),
            format_hms(seg.shortest()),
            seg.max.map(format_hms).unwrap_or_default(),
            format_hms(seg.flex()),
            format_hms(row.offset),
            row.anchor
                .map(|a| a.time.format("%H:%M").to_string())
                .unwrap_or_default(),
            row.anchor
                .and_then(|a| a.late_secs)
                .map(|s| s.to_string())
                .unwrap_or_default(),
        ];
        if with_notes {
            record.push(csv_text(seg.notes.as_deref().unwrap_or_default()).into_owned());
        }
        if let (Some(s), Some(e)) = (row.start, row.end) {
            for z in zones {
                record.push(s.with_timezone(z).format("%Y-%m-%d %H:%M").to_string());
                record.push(e.with_timezone(z).format("%Y-%m-%d %H:%M").to_string());
            }
        }
        out.write_record(&record)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// One event per segment, in UTC so that every calendar shows it in its owner's zone.
fn ics(plan: &Timetable, with_notes: bool) -> Result<String, ExportError> {
    let start = plan.start.ok_or(ExportError::NoStart)?;
    let show = plan.show;
    let mut calendar = Calendar::new();
    // Not `Calendar::name`: icalendar 0.17 does not know NAME (RFC 7986) as TEXT and writes it
    // unescaped, so a newline in the title would start a forged line. VALUE=TEXT makes it escape.
    let name = ics_text(&show.title);
    calendar.append_property(
        Property::new("NAME", &name)
            .add_parameter("VALUE", "TEXT")
            .done(),
    );
    calendar.append_property(Property::new("X-WR-CALNAME", &name));
    for row in &plan.rows {
        let (Some(s), Some(e)) = (row.start, row.end) else {
            return Err(ExportError::NoStart);
        };
        let seg = &show.segments[row.index];
        let mut description = vec![format!(
            "{} of {} in \"{}\" ({}, {})",
            row.index + 1,
            show.segments.len(),
            show.title,
            seg.kind.as_str(),
            format_hms(seg.duration)
        )];
        if let Some(speaker) = &seg.speaker {
            description.push(format!("Speaker: {speaker}"));
        }
        if let Some(notes) = seg.notes.as_ref().filter(|_| with_notes) {
            description.push(notes.clone());
        }
        let event = icalendar::Event::new()
            // Stable across exports of the same plan, so re-importing updates instead of duplicating.
            .uid(&format!(
                "podium-{}-{}@podium",
                start.format("%Y%m%dT%H%M%SZ"),
                row.index + 1
            ))
            .summary(&ics_text(&match &seg.speaker {
                Some(speaker) => format!("{} — {speaker}", seg.title),
                None => seg.title.clone(),
            }))
            .description(&ics_text(&description.join("\n\n")))
            .starts(s)
            .ends(e)
            .done();
        calendar.push(event);
    }
    Ok(calendar.done().to_string())
}
