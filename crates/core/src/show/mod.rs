//! The run-of-show: a validated, immutable description of a session (segments, lengths, warnings,
//! time zone, planned start, the slot it must fit and its wall-clock anchors). Loading and
//! validation live in [`load`], the timetable and its output formats in [`plan`] and [`export`],
//! zone names and labels in [`zone`].
//! Nothing here knows about running time; the engine does that.

mod export;
mod load;
mod plan;
mod zone;

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

pub use export::{ExportError, Format, Notes, csv_text, render, render_with};
pub use load::parse_time_of_day;
pub use load::{LoadError, parse, parse_bytes, parse_start};
pub use load::{NotUtf8, utf8};
pub(crate) use load::{RawShow, line_col, segment_header, validate};
pub use plan::{Anchor, PlanRow, Timetable};
pub use zone::{caution as zone_caution, parse_zone};

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
    /// The end of the slot the show must fit, if the file gives one.
    pub end: Option<End>,
    pub segments: Vec<Segment>,
    /// The moderator's preset messages and how messages behave (`[[preset]]`, `message_*`).
    pub messages: Messages,
    /// The show starts by itself at its `start` (`auto_start = true` at the top of the file).
    pub auto_start: bool,
    /// The language of the speaker, overlay and agenda views when the viewer's browser asks for
    /// none they speak (`language = "fr"`); a page's `?lang=` and the browser come first.
    pub language: Option<Language>,
    /// What the speaker page shows besides the countdown (`[speaker_page]`).
    pub speaker_page: SpeakerPage,
}

/// The speaker page's extras, each on unless the session turns it off (`[speaker_page]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpeakerPage {
    /// A thin progress bar of the segment, its warning zone marked (`progress = false`: none).
    pub progress: bool,
    /// "ends at 15:40" in the viewer's local time (`ends_at = false`: none).
    pub ends_at: bool,
}

impl Default for SpeakerPage {
    fn default() -> SpeakerPage {
        SpeakerPage {
            progress: true,
            ends_at: true,
        }
    }
}

/// A language the pages speak (web/i18n.js); the terminal and the files stay English.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    English,
    French,
    Spanish,
}

impl Language {
    /// Every language, as the pages know them.
    pub const ALL: [Language; 3] = [Language::English, Language::French, Language::Spanish];

    /// The BCP 47 primary subtag: `en`, `fr`, `es` (the wire's and the file's spelling).
    pub fn as_str(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::French => "fr",
            Language::Spanish => "es",
        }
    }

    /// A tag's language (`fr`, `fr-CH`, `ES`), if the pages speak it.
    pub fn of(tag: &str) -> Option<Language> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        Language::ALL.into_iter().find(|l| l.as_str() == primary)
    }
}

/// The longest message the moderator can send to the speaker, in characters: every one fits
/// the speaker's screen whole.
pub const MAX_MESSAGE_CHARS: usize = 280;

/// How many presets a session may have: one for each of the terminal's keys 1–9.
pub const MAX_PRESETS: usize = 9;

/// The presets of a session file that gives none: what moderators send most.
pub const DEFAULT_PRESETS: [&str; 5] = [
    "Please wrap up",
    "One minute left",
    "Time is up",
    "Speak louder",
    "Slow down",
];

/// Messages for the speaker: the presets (one tap, key or `{"cmd":"message","preset":N}`) and
/// the session's defaults for how a message arrives and when it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Messages {
    /// At least one, at most [`MAX_PRESETS`]; [`DEFAULT_PRESETS`] when the file gives none.
    pub presets: Vec<Preset>,
    /// When a message leaves the speaker's screen by itself.
    pub clears: MessageClears,
    /// A message flashes on arrival unless it says otherwise.
    pub flash: bool,
    /// A message chimes on arrival unless it says otherwise.
    pub chime: bool,
}

/// One preset message; `flash`/`chime` override the session's defaults for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preset {
    pub text: String,
    pub flash: Option<bool>,
    pub chime: Option<bool>,
}

/// When a message clears itself (`message_clears`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MessageClears {
    /// When the segment changes: a message is for the speaker it was sent to (the default).
    #[default]
    Segment,
    /// Only when the moderator clears it or sends another.
    Never,
}

impl MessageClears {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageClears::Segment => "segment",
            MessageClears::Never => "never",
        }
    }
}

impl Default for Messages {
    /// The defaults of a file that says nothing: [`DEFAULT_PRESETS`], cleared when the segment
    /// changes, a flash and no chime on arrival.
    fn default() -> Messages {
        Messages {
            presets: DEFAULT_PRESETS
                .iter()
                .map(|text| Preset {
                    text: (*text).to_owned(),
                    flash: None,
                    chime: None,
                })
                .collect(),
            clears: MessageClears::Segment,
            flash: true,
            chime: false,
        }
    }
}

/// The end of the slot: a full date-time, or a time of day on the day the show starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    At(DateTime<Utc>),
    TimeOfDay(NaiveTime),
}

/// One item of the programme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub title: String,
    pub speaker: Option<String>,
    pub kind: Kind,
    pub duration: Duration,
    pub max: Option<Duration>,
    /// How far the segment may be shortened (`min <= duration`); `None`: not at all.
    pub min: Option<Duration>,
    /// A wall-clock anchor from the programme: the time of day this segment is meant to start.
    pub at: Option<NaiveTime>,
    /// Effective warning: the segment's own, or the inherited one shrunk to fit the segment.
    pub warn: Duration,
    pub notes: Option<String>,
    /// What happens when the countdown reaches zero.
    pub on_end: OnEnd,
    /// The segment starts by itself at its `at` (`auto_start = true`; only with an `at`).
    pub auto_start: bool,
}

/// What a segment does when its time runs out (`on_end` in the session file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnEnd {
    /// Keep counting up into overtime until the moderator moves on.
    #[default]
    Overtime,
    /// Freeze at 0:00: the segment is over (a hard stop); the moderator moves on by hand.
    Stop,
    /// Start the next segment at once, exactly at the deadline (linked programmes).
    Next,
}

impl OnEnd {
    pub fn as_str(self) -> &'static str {
        match self {
            OnEnd::Overtime => "overtime",
            OnEnd::Stop => "stop",
            OnEnd::Next => "next",
        }
    }

    pub fn is_overtime(&self) -> bool {
        *self == OnEnd::Overtime
    }
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

    /// The length of the show with every segment shortened to its `min`.
    pub fn shortest(&self) -> Duration {
        self.segments.iter().map(Segment::shortest).sum()
    }

    /// The end of the slot as an instant, for a show starting at `start`: a time of day is taken on
    /// the start's date in the show's zone. `None` without an `end`, or a time of day without a start.
    pub fn end_for(&self, start: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
        match self.end? {
            End::At(at) => Some(at),
            End::TimeOfDay(time) => {
                let day = start?.with_timezone(&self.timezone).date_naive();
                Some(local_instant(self.timezone, day, time))
            }
        }
    }

    /// Where anchor `time` falls for a show starting at `start` (the start's date, the show's zone).
    pub fn anchor_for(&self, start: DateTime<Utc>, time: NaiveTime) -> DateTime<Utc> {
        let day = start.with_timezone(&self.timezone).date_naive();
        local_instant(self.timezone, day, time)
    }
}

impl Segment {
    /// The shortest this segment may become: its `min`, or its planned length.
    pub fn shortest(&self) -> Duration {
        self.min.unwrap_or(self.duration)
    }

    /// How much may be taken from it.
    pub fn flex(&self) -> Duration {
        self.duration - self.shortest()
    }
}

/// A wall-clock time on `day` in `tz` as an instant. When clocks go back the first occurrence is
/// taken (as for `start`); a time the clocks skip is read as the same distance past the change.
fn local_instant(tz: Tz, day: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let naive = day.and_time(time);
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(dt) | LocalResult::Ambiguous(dt, _) => dt.with_timezone(&Utc),
        // In a gap: an hour later is the same elapsed time past the change in every zone we know.
        LocalResult::None => tz
            .from_local_datetime(&(naive + chrono::Duration::hours(1)))
            .earliest()
            .map_or_else(|| naive.and_utc(), |dt| dt.with_timezone(&Utc)),
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

/// Shows and segments for the engine's tests, written once: a talk of whole minutes with a
/// one-minute warning and nothing else set, and a show of such segments from `test.toml`.
#[cfg(test)]
pub(crate) mod fixtures {
    use std::path::PathBuf;
    use std::time::Duration;

    use super::{Kind, Messages, OnEnd, Segment, Show};

    /// A talk of `minutes`, warned a minute before its end, counting into overtime.
    pub(crate) fn talk(title: &str, minutes: u64) -> Segment {
        Segment {
            title: title.into(),
            speaker: None,
            kind: Kind::Talk,
            duration: Duration::from_secs(minutes * 60),
            max: None,
            min: None,
            at: None,
            warn: Duration::from_secs(60),
            notes: None,
            on_end: OnEnd::Overtime,
            auto_start: false,
        }
    }

    /// A show of `segments` in UTC, with no start, no end and the default messages.
    pub(crate) fn show_of(segments: Vec<Segment>) -> Show {
        Show {
            path: PathBuf::from("test.toml"),
            title: "test".into(),
            start: None,
            timezone: chrono_tz::UTC,
            end: None,
            segments,
            messages: Messages::default(),
            auto_start: false,
            speaker_page: Default::default(),
            language: None,
        }
    }
}
