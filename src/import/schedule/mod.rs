//! Conference schedules as pretalx and frab export them: `schedule.json` and `schedule.xml`, the
//! format of pentabarf and frab that the c3voc validator describes (conference → days → rooms →
//! events with `date`, `start`, `duration` "HH:MM", `title`, `type`, `persons`; the conference's
//! `time_zone_name`). JSON is read with `serde_json` (each event apart, as a raw slice, so that its
//! line is known), XML with `roxmltree` (no DTD, a bounded number of nodes).
//!
//! Podium runs one room at a time, so each (day, room) becomes one session: its talks in the order
//! of their times, a `break` segment for each gap between them, so that the timetable keeps the
//! schedule's wall-clock times, and an `at` anchor on every talk the clock can name on the day.
//! Reading is here ([`json`], [`xml`]), planning in [`plan`]; [`super`] writes the session files and checks them with the
//! loader. Every event that cannot be imported is reported at its line, all at once.

mod json;
mod plan;
mod xml;

use chrono::NaiveDate;
use serde::Deserialize;

pub(crate) use plan::{plan, zone};

use super::Problem;

/// The two exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Json,
    Xml,
}

/// Why a schedule cannot be imported.
#[derive(Debug)]
pub(crate) enum ScheduleError {
    /// The text is not well-formed JSON or XML (or not the shape of a schedule): where, and what.
    Syntax {
        line: usize,
        col: usize,
        message: String,
    },
    /// Events (or days) that cannot be imported, each at its line.
    Problems(Vec<Problem>),
    /// What concerns the whole file.
    Input(String),
}

/// A schedule as read, before it is planned.
#[derive(Debug, Clone, Default)]
pub(crate) struct Schedule {
    pub title: String,
    pub acronym: String,
    /// `time_zone_name`, and the line it is on.
    pub zone: Option<(String, usize)>,
    pub days: Vec<Day>,
}

#[derive(Debug, Clone)]
pub(crate) struct Day {
    pub index: usize,
    pub date: Option<NaiveDate>,
    pub rooms: Vec<Room>,
}

#[derive(Debug, Clone)]
pub(crate) struct Room {
    pub name: String,
    pub events: Vec<Event>,
}

/// An event as written: its texts are taken apart only when it is planned, so that every problem
/// is reported with its line.
#[derive(Debug, Clone, Default)]
pub(crate) struct Event {
    pub line: usize,
    pub title: String,
    pub subtitle: String,
    pub kind: String,
    pub track: String,
    pub url: String,
    pub date: Option<String>,
    pub start: Option<String>,
    pub duration: Option<String>,
    pub persons: Vec<String>,
}

/// Which export `text` would be, from its first character (after a byte-order mark).
pub(crate) fn shape(text: &str) -> Option<Format> {
    match text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .chars()
        .next()
    {
        Some('{') => Some(Format::Json),
        Some('<') => Some(Format::Xml),
        _ => None,
    }
}

/// Whether `text` is a conference schedule: JSON with `schedule.conference`, or XML whose root is
/// `<schedule>`. Only well-formed text is recognised here; a file named `.json` or `.xml` is read
/// as a schedule whatever it holds, so that its mistakes are reported.
pub(crate) fn is_schedule(text: &str) -> bool {
    match shape(text) {
        Some(Format::Json) => {
            #[derive(Deserialize)]
            struct Probe {
                #[serde(rename = "schedule")]
                _schedule: ProbeSchedule,
            }
            #[derive(Deserialize)]
            struct ProbeSchedule {
                #[serde(rename = "conference")]
                _conference: serde::de::IgnoredAny,
            }
            serde_json::from_str::<Probe>(strip_bom(text)).is_ok()
        }
        Some(Format::Xml) => {
            xml::document(text).is_ok_and(|doc| doc.root_element().has_tag_name("schedule"))
        }
        None => false,
    }
}

fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// Line numbers of byte offsets, without scanning the text once per event.
pub(super) struct Lines(Vec<usize>);

impl Lines {
    pub(super) fn new(text: &str) -> Self {
        Lines(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i)
                .collect(),
        )
    }

    pub(super) fn line(&self, offset: usize) -> usize {
        self.0.partition_point(|&nl| nl < offset) + 1
    }
}

/// Reads a schedule in either export.
pub(crate) fn parse(text: &str, format: Format) -> Result<Schedule, ScheduleError> {
    match format {
        Format::Json => json::parse(strip_bom(text)),
        Format::Xml => xml::parse(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_and_schedules_are_told_by_content() {
        assert_eq!(shape("\u{feff}  {\"a\":1}"), Some(Format::Json));
        assert_eq!(shape("<?xml version='1.0'?><schedule/>"), Some(Format::Xml));
        assert_eq!(shape("title,duration"), None);
        assert!(is_schedule(r#"{"schedule": {"conference": {}}}"#));
        assert!(!is_schedule(r#"{"segments": []}"#));
        assert!(is_schedule(
            "<?xml version='1.0'?>\n<schedule><conference/></schedule>"
        ));
        assert!(!is_schedule("<html></html>"));
    }
}
