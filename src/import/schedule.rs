//! Conference schedules as pretalx and frab export them: `schedule.json` and `schedule.xml`, the
//! format of pentabarf and frab that the c3voc validator describes (conference → days → rooms →
//! events with `date`, `start`, `duration` "HH:MM", `title`, `type`, `persons`; the conference's
//! `time_zone_name`). JSON is read with `serde_json` (each event apart, as a raw slice, so that its
//! line is known), XML with `roxmltree` (no DTD, a bounded number of nodes).
//!
//! Podium runs one room at a time, so each (day, room) becomes one session: its talks in the order
//! of their times, a `break` segment for each gap between them, so that the timetable keeps the
//! schedule's wall-clock times, and an `at` anchor on every talk the clock can name on the day.
//! This module reads and plans; [`super`] writes the session files and checks them with the
//! loader. Every event that cannot be imported is reported at its line, all at once.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone};
use chrono_tz::Tz;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::{Draft, Problem, guess_kind, too_long};
use crate::show::{Kind, parse_zone};

/// The most sessions (rooms × days) one schedule may give: a conference, not a flood of files.
pub(crate) const MAX_SESSIONS: usize = 1000;

/// The most XML nodes read; the input's size is bounded too ([`super::MAX_INPUT`]).
const MAX_NODES: u32 = 2_000_000;

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
            xml_document(text).is_ok_and(|doc| doc.root_element().has_tag_name("schedule"))
        }
        None => false,
    }
}

fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// Line numbers of byte offsets, without scanning the text once per event.
struct Lines(Vec<usize>);

impl Lines {
    fn new(text: &str) -> Self {
        Lines(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i)
                .collect(),
        )
    }

    fn line(&self, offset: usize) -> usize {
        self.0.partition_point(|&nl| nl < offset) + 1
    }
}

/// Reads a schedule in either export.
pub(crate) fn parse(text: &str, format: Format) -> Result<Schedule, ScheduleError> {
    match format {
        Format::Json => parse_json(strip_bom(text)),
        Format::Xml => parse_xml(text),
    }
}

// ---- schedule.json ----

#[derive(Deserialize)]
struct JRoot<'a> {
    #[serde(borrow)]
    schedule: Option<JSchedule<'a>>,
}

#[derive(Deserialize)]
struct JSchedule<'a> {
    #[serde(borrow)]
    conference: Option<JConference<'a>>,
}

#[derive(Deserialize)]
struct JConference<'a> {
    title: Option<String>,
    acronym: Option<String>,
    #[serde(borrow)]
    time_zone_name: Option<&'a RawValue>,
    #[serde(default)]
    rooms: Vec<serde_json::Value>,
    #[serde(default, borrow)]
    days: Vec<JDay<'a>>,
}

#[derive(Deserialize)]
struct JDay<'a> {
    index: Option<usize>,
    date: Option<String>,
    #[serde(default, borrow)]
    rooms: BTreeMap<String, Vec<&'a RawValue>>,
}

/// A text field that a generator may write as `null`, a number or an object: only text is kept.
#[derive(Deserialize, Default)]
#[serde(from = "serde_json::Value")]
struct Text(String);

impl From<serde_json::Value> for Text {
    fn from(value: serde_json::Value) -> Self {
        Text(value.as_str().unwrap_or_default().to_owned())
    }
}

/// A time or length: text as written; a number (`"duration": 30`) kept as its JSON text, so that
/// the event is reported with what to write instead; `null` as absent.
#[derive(Deserialize, Default)]
#[serde(from = "serde_json::Value")]
struct Loose(Option<String>);

impl From<serde_json::Value> for Loose {
    fn from(value: serde_json::Value) -> Self {
        Loose(match value {
            serde_json::Value::Null => None,
            serde_json::Value::String(s) => Some(s),
            other => Some(other.to_string()),
        })
    }
}

#[derive(Deserialize)]
struct JEvent {
    #[serde(default)]
    title: Text,
    #[serde(default)]
    subtitle: Text,
    #[serde(default, rename = "type")]
    kind: Text,
    #[serde(default)]
    track: Text,
    #[serde(default)]
    url: Text,
    #[serde(default)]
    date: Loose,
    #[serde(default)]
    start: Loose,
    #[serde(default)]
    duration: Loose,
    #[serde(default)]
    persons: Vec<JPerson>,
}

/// frab writes `public_name`, pretalx `name` (and `public_name` in older exports); a person may
/// also be a bare name.
#[derive(Deserialize)]
#[serde(untagged)]
enum JPerson {
    Name(String),
    Person {
        name: Option<String>,
        public_name: Option<String>,
        full_public_name: Option<String>,
    },
}

impl JPerson {
    fn name(self) -> Option<String> {
        match self {
            JPerson::Name(name) => Some(name),
            JPerson::Person {
                name,
                public_name,
                full_public_name,
            } => public_name.or(name).or(full_public_name),
        }
    }
}

/// serde_json's message without its " at line L column C", which is said apart.
fn json_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    text.strip_suffix(&suffix).unwrap_or(&text).to_owned()
}

fn json_syntax(e: &serde_json::Error, first_line: usize) -> ScheduleError {
    let remedy = if e.is_syntax() || e.is_eof() {
        ": the file is not valid JSON; export schedule.json again, or correct it there"
    } else {
        ""
    };
    ScheduleError::Syntax {
        line: first_line + e.line().saturating_sub(1),
        col: e.column(),
        message: format!("{}{remedy}", json_message(e)),
    }
}

fn parse_json(text: &str) -> Result<Schedule, ScheduleError> {
    let lines = Lines::new(text);
    // Where a raw slice of `text` starts: it borrows from `text`, so its address says.
    let line_of = |raw: &RawValue| -> usize {
        let offset = (raw.get().as_ptr() as usize).wrapping_sub(text.as_ptr() as usize);
        if offset < text.len() {
            lines.line(offset)
        } else {
            0
        }
    };
    let root: JRoot = serde_json::from_str(text).map_err(|e| json_syntax(&e, 1))?;
    let conference = root.schedule.and_then(|s| s.conference).ok_or_else(|| {
        ScheduleError::Input(
            "this JSON has no schedule.conference, so it is not a conference schedule: export \
             schedule.json from pretalx or frab (Schedule → Export)"
                .into(),
        )
    })?;
    let zone = match conference.time_zone_name {
        Some(raw) => match serde_json::from_str::<Option<String>>(raw.get()) {
            Ok(name) => name.map(|n| (n, line_of(raw))),
            Err(_) => {
                return Err(ScheduleError::Problems(vec![Problem {
                    line: line_of(raw),
                    message: format!(
                        "time_zone_name {} is not text: write a zone name such as \"Europe/Berlin\"",
                        raw.get()
                    ),
                }]));
            }
        },
        None => None,
    };
    let order: Vec<String> = conference
        .rooms
        .iter()
        .filter_map(|r| r.get("name").and_then(|n| n.as_str()).map(str::to_owned))
        .collect();
    let mut problems = Vec::new();
    let mut days = Vec::new();
    for (position, day) in conference.days.into_iter().enumerate() {
        let date = day
            .date
            .as_deref()
            .and_then(|d| NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok());
        let mut rooms: Vec<(String, Vec<&RawValue>)> = day.rooms.into_iter().collect();
        // The conference's own order of rooms; rooms it does not list come after, by name.
        rooms.sort_by_key(|(name, _)| order.iter().position(|n| n == name).unwrap_or(usize::MAX));
        let mut out = Vec::new();
        for (name, raws) in rooms {
            let mut events = Vec::new();
            for raw in raws {
                let line = line_of(raw);
                match serde_json::from_str::<JEvent>(raw.get()) {
                    Ok(e) => events.push(Event {
                        line,
                        title: e.title.0,
                        subtitle: e.subtitle.0,
                        kind: e.kind.0,
                        track: e.track.0,
                        url: e.url.0,
                        date: e.date.0,
                        start: e.start.0,
                        duration: e.duration.0,
                        persons: e.persons.into_iter().filter_map(JPerson::name).collect(),
                    }),
                    Err(e) => problems.push(Problem {
                        line: line + e.line().saturating_sub(1),
                        message: format!(
                            "column {}: this event cannot be read ({}): persons are a list of \
                             names or of {{\"name\": …}}; correct it and export again",
                            e.column(),
                            json_message(&e)
                        ),
                    }),
                }
            }
            out.push(Room { name, events });
        }
        days.push(Day {
            index: day.index.unwrap_or(position + 1),
            date,
            rooms: out,
        });
    }
    if !problems.is_empty() {
        return Err(ScheduleError::Problems(problems));
    }
    Ok(Schedule {
        title: conference.title.unwrap_or_default(),
        acronym: conference.acronym.unwrap_or_default(),
        zone,
        days,
    })
}

// ---- schedule.xml ----

fn xml_document(text: &str) -> Result<roxmltree::Document<'_>, roxmltree::Error> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
        ..roxmltree::ParsingOptions::default()
    };
    roxmltree::Document::parse_with_options(text, options)
}

fn child<'a, 'i>(node: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
    node.children().find(|c| c.has_tag_name(name))
}

fn text_of(node: roxmltree::Node, name: &str) -> Option<String> {
    child(node, name).map(|c| c.text().unwrap_or_default().to_owned())
}

fn parse_xml(text: &str) -> Result<Schedule, ScheduleError> {
    let doc = xml_document(text).map_err(|e| {
        let pos = e.pos();
        let message = e.to_string().replace(&format!(" at {pos}"), "");
        let remedy = match e {
            roxmltree::Error::DtdDetected => {
                "a schedule needs no DTD; remove the <!DOCTYPE …> declaration"
            }
            roxmltree::Error::NodesLimitReached => "this is far larger than any conference",
            _ => "the file is not well-formed XML; export schedule.xml again, or correct it there",
        };
        ScheduleError::Syntax {
            line: pos.row as usize,
            col: pos.col as usize,
            message: format!("{message}: {remedy}"),
        }
    })?;
    let lines = Lines::new(text);
    let line_of = |node: roxmltree::Node| lines.line(node.range().start);
    let root = doc.root_element();
    if !root.has_tag_name("schedule") {
        return Err(ScheduleError::Input(format!(
            "the XML's root is <{}>, not <schedule>: export schedule.xml from pretalx or frab",
            root.tag_name().name()
        )));
    }
    let conference = child(root, "conference").ok_or_else(|| {
        ScheduleError::Input(
            "<schedule> has no <conference>: export schedule.xml from pretalx or frab".into(),
        )
    })?;
    let zone = child(conference, "time_zone_name")
        .map(|n| (n.text().unwrap_or_default().to_owned(), line_of(n)));
    let mut days = Vec::new();
    for (position, day) in root
        .children()
        .filter(|c| c.has_tag_name("day"))
        .enumerate()
    {
        let date = day
            .attribute("date")
            .and_then(|d| NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok());
        let index = day
            .attribute("index")
            .and_then(|i| i.trim().parse().ok())
            .unwrap_or(position + 1);
        let rooms = day
            .children()
            .filter(|c| c.has_tag_name("room"))
            .map(|room| Room {
                name: room.attribute("name").unwrap_or_default().to_owned(),
                events: room
                    .children()
                    .filter(|c| c.has_tag_name("event"))
                    .map(|e| Event {
                        line: line_of(e),
                        title: text_of(e, "title").unwrap_or_default(),
                        subtitle: text_of(e, "subtitle").unwrap_or_default(),
                        kind: text_of(e, "type").unwrap_or_default(),
                        track: text_of(e, "track").unwrap_or_default(),
                        url: text_of(e, "url").unwrap_or_default(),
                        date: text_of(e, "date"),
                        start: text_of(e, "start"),
                        duration: text_of(e, "duration"),
                        persons: child(e, "persons")
                            .map(|p| {
                                p.children()
                                    .filter(|c| c.has_tag_name("person"))
                                    .map(|c| c.text().unwrap_or_default().to_owned())
                                    .collect()
                            })
                            .unwrap_or_default(),
                    })
                    .collect(),
            })
            .collect();
        days.push(Day { index, date, rooms });
    }
    Ok(Schedule {
        title: text_of(conference, "title").unwrap_or_default(),
        acronym: text_of(conference, "acronym").unwrap_or_default(),
        zone,
        days,
    })
}

// ---- planning ----

/// One room on one day, planned: what a session file holds.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub day: usize,
    pub date: NaiveDate,
    pub room: String,
    pub title: String,
    pub start: DateTime<Tz>,
    pub end: DateTime<Tz>,
    /// Talks and the breaks between them.
    pub drafts: Vec<Draft>,
    /// Talks only.
    pub talks: usize,
}

/// The zone the schedule's times are read in: `--timezone`, else the schedule's
/// `time_zone_name`, else the one offset every event's date carries (as `Etc/GMT-1`, with a
/// warning). Returns the zone and the warnings.
pub(crate) fn zone(
    schedule: &Schedule,
    given: Option<Tz>,
) -> Result<(Tz, Vec<Problem>), ScheduleError> {
    if let Some(tz) = given {
        return Ok((tz, Vec::new()));
    }
    if let Some((name, line)) = &schedule.zone
        && !name.trim().is_empty()
    {
        return parse_zone(name).map(|tz| (tz, Vec::new())).map_err(|why| {
            ScheduleError::Problems(vec![Problem {
                line: *line,
                message: format!("time_zone_name: {why}; or give --timezone"),
            }])
        });
    }
    let mut offsets: Vec<i32> = schedule
        .days
        .iter()
        .flat_map(|d| &d.rooms)
        .flat_map(|r| &r.events)
        .filter_map(|e| e.date.as_deref())
        .filter_map(|d| DateTime::parse_from_rfc3339(d.trim()).ok())
        .map(|d| d.offset().fix().local_minus_utc())
        .collect();
    offsets.sort_unstable();
    offsets.dedup();
    let ask = "give the place's zone with --timezone, e.g. --timezone Europe/Berlin";
    match offsets.as_slice() {
        [0] => Ok((
            Tz::UTC,
            vec![Problem {
                line: 0,
                message: format!("the schedule names no time zone; its times are in UTC: {ask}"),
            }],
        )),
        [secs] if secs % 3600 == 0 => {
            let hours = secs / 3600;
            // The tz database's Etc zones count the other way: UTC+01:00 is Etc/GMT-1.
            let name = format!("Etc/GMT{:+}", -hours);
            let tz: Tz = name.parse().map_err(|_| {
                ScheduleError::Input(format!("the schedule names no time zone: {ask}"))
            })?;
            Ok((
                tz,
                vec![Problem {
                    line: 0,
                    message: format!(
                        "the schedule names no time zone; its times are at UTC{:+03}:00, written \
                         as {name} (no daylight saving): {ask}",
                        hours
                    ),
                }],
            ))
        }
        [] => Err(ScheduleError::Input(format!(
            "the schedule names no time zone (time_zone_name) and its times carry no offset: {ask}"
        ))),
        _ => Err(ScheduleError::Input(format!(
            "the schedule names no time zone (time_zone_name) and its times carry several \
             offsets: {ask}"
        ))),
    }
}

/// A length written `HH:MM` (or `H:MM`, `HH:MM:SS`), as frab and pretalx write durations.
pub(crate) fn parse_duration(text: &str) -> Option<Duration> {
    let parts: Vec<&str> = text.trim().split(':').collect();
    let number = |s: &str| -> Option<u64> {
        (!s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (h, m, s) = match parts.as_slice() {
        [h, m] => (number(h)?, number(m)?, 0),
        [h, m, s] => (number(h)?, number(m)?, number(s)?),
        _ => return None,
    };
    (m < 60 && s < 60).then(|| Duration::from_secs(h * 3600 + m * 60 + s))
}

/// When an event starts: its `date` (with its offset, or local), else its day's date and `start`.
fn instant(event: &Event, day: Option<NaiveDate>, tz: Tz) -> Result<DateTime<Tz>, String> {
    let local = |naive: NaiveDateTime, what: &str| match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => Ok(t),
        LocalResult::None => Err(format!(
            "{what} {} does not exist in {tz} (the clocks skip it): correct the time",
            naive.format("%Y-%m-%d %H:%M")
        )),
    };
    if let Some(date) = event
        .date
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        if let Ok(t) = DateTime::parse_from_rfc3339(date) {
            return Ok(t.with_timezone(&tz));
        }
        if let Some(naive) = ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(date, f).ok())
        {
            return local(naive, "date");
        }
        return Err(format!(
            "date {date:?} is not a date and time: write it like \"2026-06-10T09:30:00+02:00\""
        ));
    }
    let start = event.start.as_deref().map(str::trim).unwrap_or_default();
    if let Ok(t) = DateTime::parse_from_rfc3339(start) {
        return Ok(t.with_timezone(&tz));
    }
    let time = NaiveTime::parse_from_str(start, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(start, "%H:%M:%S"))
        .map_err(|_| {
            if start.is_empty() {
                "the event has neither a date nor a start: give it a date such as \
                 \"2026-06-10T09:30:00+02:00\""
                    .to_owned()
            } else {
                format!("start {start:?} is not a time of day: write it like \"09:30\"")
            }
        })?;
    let day = day.ok_or_else(|| {
        "the event has a start but no date, and its day has none: give the event a date such as \
         \"2026-06-10T09:30:00+02:00\""
            .to_owned()
    })?;
    local(day.and_time(time), "start")
}

/// Words of event types (any language pretalx users write them in) that mean a moderated
/// discussion rather than a talk.
const DISCUSSION: &[&str] = &[
    // frab's type for a panel discussion.
    "podium",
    "panel",
    "panels",
    "discussion",
    "q&a",
    "qa",
    "ama",
    "roundtable",
    "fishbowl",
    "podiumsdiskussion",
    "diskussion",
    "débat",
    "debat",
    "table ronde",
    "mesa redonda",
    "debate",
];

/// A segment's kind from the event's type, else from its title.
pub(crate) fn kind_of(kind: &str, title: &str) -> Kind {
    let lower = kind.trim().to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !(c.is_alphanumeric() || c == '&'))
        .filter(|w| !w.is_empty())
        .collect();
    if DISCUSSION
        .iter()
        .any(|d| words.contains(d) || (d.contains(' ') && lower.contains(d)))
    {
        return Kind::Qa;
    }
    match guess_kind(kind) {
        Kind::Talk => guess_kind(title),
        by_type => by_type,
    }
}

/// One line of plain words: no control characters, no line breaks.
fn clean(text: &str) -> String {
    crate::term::printable(text)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Plans every (day, room) that has events. Problems of every event are gathered and returned
/// together.
pub(crate) fn plan(schedule: &Schedule, tz: Tz) -> Result<Vec<Session>, ScheduleError> {
    let conference = match clean(&schedule.title) {
        t if t.is_empty() => clean(&schedule.acronym),
        t => t,
    };
    let mut problems = Vec::new();
    let mut sessions = Vec::new();
    for day in &schedule.days {
        for room in &day.rooms {
            let mut timed = Vec::new();
            for event in &room.events {
                let problem = |message: String| Problem {
                    line: event.line,
                    message,
                };
                let title = clean(&event.title);
                if title.is_empty() {
                    problems.push(problem(
                        "an event without a title: give it one in the conference tool".into(),
                    ));
                    continue;
                }
                let at = match instant(event, day.date, tz) {
                    Ok(at) => at,
                    Err(why) => {
                        problems.push(problem(format!("{title:?}: {why}")));
                        continue;
                    }
                };
                let written = event.duration.as_deref().unwrap_or_default().trim();
                let duration = match parse_duration(written) {
                    Some(d) if d.is_zero() => {
                        problems.push(problem(format!(
                            "{title:?}: duration {written:?} is zero: give the event its length"
                        )));
                        continue;
                    }
                    Some(d) => match too_long(d, written) {
                        Some(why) => {
                            problems.push(problem(format!("{title:?}: duration {why}")));
                            continue;
                        }
                        None => d,
                    },
                    None => {
                        problems.push(problem(format!(
                            "{title:?}: duration {written:?} is not a length: write hours and \
                             minutes, like \"00:30\" or \"1:15\""
                        )));
                        continue;
                    }
                };
                timed.push((at, duration, title, event));
            }
            if timed.is_empty() {
                continue;
            }
            timed.sort_by_key(|(at, ..)| *at);
            match room_session(day, room, &conference, tz, &timed) {
                Ok(session) => sessions.push(session),
                Err(mut found) => problems.append(&mut found),
            }
        }
    }
    if !problems.is_empty() {
        problems.sort_by_key(|p| p.line);
        return Err(ScheduleError::Problems(problems));
    }
    if sessions.is_empty() {
        return Err(ScheduleError::Input(
            "the schedule has no events: schedule some talks in the conference tool and export \
             it again"
                .into(),
        ));
    }
    if sessions.len() > MAX_SESSIONS {
        return Err(ScheduleError::Input(format!(
            "the schedule holds {} rooms × days, more than the {MAX_SESSIONS} podium imports at once",
            sessions.len()
        )));
    }
    Ok(sessions)
}

type Timed<'a> = (DateTime<Tz>, Duration, String, &'a Event);

fn room_session(
    day: &Day,
    room: &Room,
    conference: &str,
    tz: Tz,
    timed: &[Timed],
) -> Result<Session, Vec<Problem>> {
    let mut problems = Vec::new();
    let (first, ..) = timed[0];
    let date = day.date.unwrap_or_else(|| first.date_naive());
    let room_name = match clean(&room.name) {
        n if n.is_empty() => "Room".to_owned(),
        n => n,
    };
    let mut drafts = Vec::new();
    let mut previous: Option<(DateTime<Tz>, &str, usize)> = None;
    for (at, duration, title, event) in timed {
        if let Some((end, before, line)) = previous {
            let gap = *at - end;
            if gap < chrono::Duration::zero() {
                problems.push(Problem {
                    line: event.line,
                    message: format!(
                        "{title:?} starts at {}, before {before:?} (line {line}) ends at {} in \
                         {room_name}: a room holds one event at a time; correct the times in the \
                         conference tool",
                        at.format("%H:%M"),
                        end.format("%H:%M")
                    ),
                });
                continue;
            }
            if let Ok(gap) = gap.to_std()
                && !gap.is_zero()
            {
                if let Some(why) = too_long(gap, &format!("the gap before {title}")) {
                    problems.push(Problem {
                        line: event.line,
                        message: why,
                    });
                    continue;
                }
                drafts.push(Draft {
                    line: event.line,
                    title: "Break".into(),
                    speaker: None,
                    kind: Kind::Break,
                    duration: gap,
                    min: None,
                    max: None,
                    at: None,
                    notes: None,
                });
            }
        }
        let speakers: Vec<String> = event
            .persons
            .iter()
            .map(|p| clean(p))
            .filter(|p| !p.is_empty())
            .collect();
        let notes: Vec<String> = [
            clean(&event.subtitle),
            match clean(&event.track) {
                t if t.is_empty() => t,
                t => format!("Track: {t}"),
            },
            clean(&event.url),
        ]
        .into_iter()
        .filter(|n| !n.is_empty())
        .collect();
        drafts.push(Draft {
            line: event.line,
            title: title.clone(),
            speaker: (!speakers.is_empty()).then(|| speakers.join(", ")),
            kind: kind_of(&event.kind, title),
            duration: *duration,
            min: None,
            max: None,
            at: anchor(first, *at, tz),
            notes: (!notes.is_empty()).then(|| notes.join("\n")),
        });
        previous = Some((
            *at + chrono::Duration::from_std(*duration).unwrap_or_default(),
            title,
            event.line,
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let end = previous.map_or(first, |(end, ..)| end);
    Ok(Session {
        day: day.index,
        date,
        room: room_name.clone(),
        title: format!("{conference} — {room_name} — {}", date.format("%Y-%m-%d")),
        start: first,
        end,
        talks: timed.len(),
        drafts,
    })
}

/// The `at` anchor of a talk starting at `at` in a session starting at `first`: its time of day,
/// when that names it on the session's date (not past midnight, not a time the clocks pass
/// twice, whole minutes as anchors are written).
fn anchor(first: DateTime<Tz>, at: DateTime<Tz>, tz: Tz) -> Option<NaiveTime> {
    use chrono::Timelike;
    let local = at.naive_local();
    (local.date() == first.date_naive()
        && local.second() == 0
        && matches!(tz.from_local_datetime(&local), LocalResult::Single(_)))
    .then(|| local.time())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_as_frab_and_pretalx_write_them() {
        assert_eq!(parse_duration("00:30"), Some(Duration::from_secs(1800)));
        assert_eq!(parse_duration("1:15"), Some(Duration::from_secs(4500)));
        assert_eq!(parse_duration("00:45:30"), Some(Duration::from_secs(2730)));
        assert_eq!(parse_duration("0:75"), None);
        assert_eq!(parse_duration("30"), None);
        assert_eq!(parse_duration("half an hour"), None);
        assert_eq!(parse_duration("99999999999:00"), None);
    }

    #[test]
    fn kinds_from_event_types_then_titles() {
        assert_eq!(kind_of("Talk", "Opening"), Kind::Intro);
        assert_eq!(kind_of("Talk", "Rust in space"), Kind::Talk);
        assert_eq!(kind_of("Panel", "The future of work"), Kind::Qa);
        assert_eq!(kind_of("podium", "Überwachung"), Kind::Qa);
        assert_eq!(kind_of("Podiumsdiskussion", "Arbeit"), Kind::Qa);
        assert_eq!(kind_of("Table ronde", "Travail"), Kind::Qa);
        assert_eq!(kind_of("Break", "Mittag"), Kind::Break);
        assert_eq!(kind_of("other", "Lunch"), Kind::Break);
        assert_eq!(kind_of("Workshop", "Closing remarks"), Kind::Closing);
        assert_eq!(kind_of("Lightning Talks", "Pitches"), Kind::Talk);
    }

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

    fn event(line: usize, title: &str, date: &str, duration: &str) -> Event {
        Event {
            line,
            title: title.into(),
            kind: "Talk".into(),
            date: Some(date.into()),
            duration: Some(duration.into()),
            persons: vec!["Ada".into()],
            ..Event::default()
        }
    }

    fn one_room(events: Vec<Event>) -> Schedule {
        Schedule {
            title: "Conf".into(),
            acronym: "conf".into(),
            zone: Some(("Europe/Berlin".into(), 1)),
            days: vec![Day {
                index: 1,
                date: NaiveDate::from_ymd_opt(2026, 6, 10),
                rooms: vec![Room {
                    name: "Saal 1".into(),
                    events,
                }],
            }],
        }
    }

    #[test]
    fn gaps_become_breaks_and_talks_keep_their_anchors() {
        let schedule = one_room(vec![
            // Out of order on purpose: the times decide.
            event(20, "Second", "2026-06-10T11:00:00+02:00", "00:45"),
            event(10, "First", "2026-06-10T10:00:00+02:00", "00:30"),
            event(30, "Late night", "2026-06-11T00:15:00+02:00", "00:30"),
        ]);
        let (tz, warnings) = zone(&schedule, None).unwrap();
        assert!(warnings.is_empty());
        let sessions = plan(&schedule, tz).unwrap();
        assert_eq!(sessions.len(), 1);
        let s = &sessions[0];
        assert_eq!(s.title, "Conf — Saal 1 — 2026-06-10");
        let outline: Vec<(&str, Kind, u64, Option<String>, usize)> = s
            .drafts
            .iter()
            .map(|d| {
                (
                    d.title.as_str(),
                    d.kind,
                    d.duration.as_secs() / 60,
                    d.at.map(|t| t.format("%H:%M").to_string()),
                    d.line,
                )
            })
            .collect();
        assert_eq!(
            outline,
            vec![
                ("First", Kind::Talk, 30, Some("10:00".into()), 10),
                ("Break", Kind::Break, 30, None, 20),
                ("Second", Kind::Talk, 45, Some("11:00".into()), 20),
                ("Break", Kind::Break, 750, None, 30),
                // Past midnight: no anchor (an `at` names a time on the start's day).
                ("Late night", Kind::Talk, 30, None, 30),
            ]
        );
        assert_eq!(
            s.end.format("%Y-%m-%d %H:%M").to_string(),
            "2026-06-11 00:45"
        );
    }

    #[test]
    fn every_bad_event_is_reported_at_its_line() {
        let schedule = one_room(vec![
            event(10, "Fine", "2026-06-10T10:00:00+02:00", "00:30"),
            event(20, "Overlap", "2026-06-10T10:15:00+02:00", "00:30"),
            event(30, "No length", "2026-06-10T12:00:00+02:00", "0:75"),
            event(40, "", "2026-06-10T13:00:00+02:00", "00:30"),
            event(50, "Never", "tomorrow", "00:30"),
        ]);
        let Err(ScheduleError::Problems(problems)) = plan(&schedule, Tz::Europe__Berlin) else {
            panic!("refused");
        };
        let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![20, 30, 40, 50], "{problems:?}");
        assert!(
            problems[0]
                .message
                .contains("before \"Fine\" (line 10) ends at 10:30")
        );
        assert!(problems[1].message.contains("\"00:30\""));
    }

    #[test]
    fn without_a_zone_name_the_one_offset_is_used_with_a_warning() {
        let mut schedule = one_room(vec![event(
            10,
            "Talk",
            "2026-06-10T10:00:00+02:00",
            "00:30",
        )]);
        schedule.zone = None;
        let (tz, warnings) = zone(&schedule, None).unwrap();
        assert_eq!(tz.name(), "Etc/GMT-2");
        assert!(warnings[0].message.contains("UTC+02:00"), "{warnings:?}");
        assert_eq!(
            zone(&schedule, Some(Tz::Europe__Berlin)).unwrap().0,
            Tz::Europe__Berlin
        );
    }
}
