//! The run-of-show: a validated, immutable description of a session (segments, lengths, warnings,
//! time zone, planned start). Loading and validation live in [`load`], the timetable in [`plan`].
//! Nothing here knows about running time; the engine does that.

mod load;
mod plan;

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

pub use load::{LoadError, load_file, load_str, parse_start, parse_zone};
pub use plan::{PlanRow, Timetable};

/// The built-in warning before a segment's planned end when the file gives none.
pub const DEFAULT_WARN: Duration = Duration::from_secs(120);

/// A validated session: at least one segment, every length positive, every `max >= duration`.
#[derive(Debug, Clone, PartialEq)]
pub struct Show {
    pub path: PathBuf,
    pub title: String,
    /// Planned start, if the file gives one.
    pub start: Option<DateTime<Utc>>,
    pub timezone: Tz,
    pub segments: Vec<Segment>,
}

/// One item of the programme.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub title: String,
    pub speaker: Option<String>,
    pub kind: Kind,
    pub duration: Duration,
    pub max: Option<Duration>,
    /// Effective warning: the segment's own, or the inherited one shrunk to fit the segment.
    pub warn: Duration,
    pub notes: Option<String>,
}

/// What sort of segment this is; the engine treats them alike, reports and planning do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Intro,
    Talk,
    Qa,
    Break,
    Closing,
    Other,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Intro => "intro",
            Kind::Talk => "talk",
            Kind::Qa => "qa",
            Kind::Break => "break",
            Kind::Closing => "closing",
            Kind::Other => "other",
        }
    }
}

impl Show {
    /// The planned length of the whole show.
    pub fn total(&self) -> Duration {
        self.segments.iter().map(|s| s.duration).sum()
    }

    /// Planned start of segment `index`, measured from the start of the show.
    pub fn planned_offset(&self, index: usize) -> Duration {
        self.segments.iter().take(index).map(|s| s.duration).sum()
    }
}

/// `1:05:00`, `8:00`: a length as people write it in a programme.
pub fn format_hms(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}
