//! Planning a schedule into sessions: the zone its times are read in, each event's instant and
//! length, and per (day, room) the talks in order with a `break` for each gap, so that the
//! session's timetable keeps the schedule's wall-clock times. Every problem names its event's line.

use std::time::Duration;

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone};
use chrono_tz::Tz;

use super::{Day, Event, Room, Schedule, ScheduleError};
use crate::import::{Draft, Problem, guess_kind, too_long};
use crate::show::{Kind, parse_zone};

/// The most sessions (rooms × days) one schedule may give: a conference, not a flood of files.
pub(crate) const MAX_SESSIONS: usize = 1000;

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
