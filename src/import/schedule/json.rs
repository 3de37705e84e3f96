//! Reading `schedule.json` (pretalx's and frab's export) with `serde_json`. Each event is kept as
//! a raw slice of the text first, so that its line is known, then read apart: one bad event is
//! reported at its line and the others are still read.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::{Day, Event, Lines, Room, Schedule, ScheduleError};
use crate::import::Problem;

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

fn json_syntax(e: &serde_json::Error) -> ScheduleError {
    let remedy = if e.is_syntax() || e.is_eof() {
        ": the file is not valid JSON; export schedule.json again, or correct it there"
    } else {
        ": a schedule.json holds conference → days → rooms → events; export it again from \
         pretalx or frab"
    };
    ScheduleError::Syntax {
        line: e.line(),
        col: e.column(),
        message: format!("{}{remedy}", json_message(e)),
    }
}

pub(super) fn parse(text: &str) -> Result<Schedule, ScheduleError> {
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
    let root: JRoot = serde_json::from_str(text).map_err(|e| json_syntax(&e))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "{\"schedule\": {\"conference\": {\"title\": \"C\", \"days\": [\n{\"index\": 1, \"date\": \"2026-06-10\", \"rooms\": {\"A\": [\n";

    #[test]
    fn events_are_read_apart_at_their_lines_and_odd_fields_tolerated() {
        let text = format!(
            "{HEAD}{{\"title\": \"Fine\", \"track\": null, \"subtitle\": 7, \"duration\": \"00:30\"}},\n\
             {{\"title\": \"Bad\", \"persons\": 5}},\n\
             {{\"title\": \"Also fine\", \"persons\": [\"Ada\", {{\"public_name\": \"Grace\"}}]}}\n]}}}}]}}}}}}\n"
        );
        let Err(ScheduleError::Problems(problems)) = parse(&text) else {
            panic!("the bad event is refused");
        };
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].line, 4);
        assert!(
            problems[0].message.contains("persons are a list of names"),
            "{problems:?}"
        );
        let fixed = text.replace("\"persons\": 5", "\"persons\": []");
        let schedule = parse(&fixed).unwrap_or_else(|_| panic!("reads"));
        let events = &schedule.days[0].rooms[0].events;
        assert_eq!(events.iter().map(|e| e.line).collect::<Vec<_>>(), [3, 4, 5]);
        assert_eq!(events[0].track, "");
        assert_eq!(events[0].subtitle, "");
        assert_eq!(events[2].persons, ["Ada", "Grace"]);
    }
}
