//! Planning (issue 4): the slot and anchor checks, daylight saving, and every output format read
//! back with a real parser (icalendar, csv, serde_json).

use std::path::Path;
use std::str::FromStr;

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use icalendar::{Calendar, CalendarComponent, CalendarDateTime, Component, DatePerhapsTime};
use podium::show::{Format, Show, Timetable, load_file, load_str, render};

fn show(text: &str) -> Show {
    load_str(Path::new("test.toml"), text).unwrap_or_else(|e| panic!("{e}"))
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

/// The night European clocks go back: 01:30 CEST to 03:30 CET is three hours, not two.
const DST_NIGHT: &str = r#"
title = "Night shift"
start = "2021-10-31T01:30:00"
timezone = "Europe/Zurich"
end = "03:30"
[[segment]]
title = "One"
duration = "1h"
[[segment]]
title = "Two"
duration = "1h"
at = "02:30"
[[segment]]
title = "Three"
duration = "1h"
"#;

#[test]
fn planned_times_are_right_across_the_change_to_winter_time() {
    let show = show(DST_NIGHT);
    let plan = Timetable::new(&show, None);
    let starts: Vec<_> = plan.rows.iter().map(|r| r.start.unwrap()).collect();
    // 01:30 CEST = 23:30 UTC; then every hour in UTC.
    assert_eq!(
        starts,
        [
            utc(2021, 10, 30, 23, 30),
            utc(2021, 10, 31, 0, 30),
            utc(2021, 10, 31, 1, 30)
        ]
    );
    let local: Vec<String> = plan
        .rows
        .iter()
        .map(|r| {
            r.start
                .unwrap()
                .with_timezone(&show.timezone)
                .format("%H:%M %Z")
                .to_string()
        })
        .collect();
    // 02:30 happens twice that night: first in summer time, then in winter time.
    assert_eq!(local, ["01:30 CEST", "02:30 CEST", "02:30 CET"]);
    // The slot ends at 03:30 CET = 02:30 UTC: three real hours, and the plan fills them exactly.
    assert_eq!(plan.slot_end, Some(utc(2021, 10, 31, 2, 30)));
    assert_eq!(plan.slack_secs(), Some(0));
    // The 02:30 anchor is the first 02:30 (summer time), which is when segment two starts.
    assert_eq!(plan.rows[1].anchor.unwrap().late_secs, Some(0));
    assert!(plan.warnings().is_empty(), "{:?}", plan.warnings());
    // The text table shows both readings and New York's.
    let text = render(&plan, &["America/New_York".parse().unwrap()], Format::Text).unwrap();
    assert!(
        text.contains("01:30–02:30") && text.contains("19:30–20:30"),
        "{text}"
    );
    assert!(text.contains("fits exactly"), "{text}");
}

#[test]
fn overrun_gap_and_overlap_are_warned_with_a_remedy() {
    let show = show(
        r#"
title = "Warnings"
start = "2017-10-12T10:00:00"
timezone = "Europe/Zurich"
end = "12:00"
[[segment]]
title = "Opening"
duration = "10m"
[[segment]]
title = "Panel 1"
duration = "1h"
at = "10:15"
[[segment]]
title = "Panel 2"
duration = "1h"
min = "50m"
at = "11:00"
"#,
    );
    let warnings = Timetable::new(&show, None).warnings();
    assert_eq!(warnings.len(), 3, "{warnings:#?}");
    assert!(
        warnings[0].starts_with("the plan runs 10:00 past the end of the slot (12:00 CEST)"),
        "{}",
        warnings[0]
    );
    assert!(warnings[0].contains("gains up to 10:00"), "{}", warnings[0]);
    assert!(
        warnings[1].contains(
            "\"Panel 1\") is anchored at 10:15 but the plan reaches it 5:00 early, leaving a gap"
        ),
        "{}",
        warnings[1]
    );
    assert!(
        warnings[2]
            .contains("\"Panel 2\") is anchored at 11:00 but the plan reaches it 10:00 later"),
        "{}",
        warnings[2]
    );
    // Too long even at every min.
    let mut hopeless = show.clone();
    hopeless.segments[2].min = None;
    let warnings = Timetable::new(&hopeless, None).warnings();
    assert!(
        warnings[0].contains("even with every segment at its `min` it is 10:00 too long"),
        "{warnings:#?}"
    );
}

#[test]
fn the_bundled_programmes_fit_their_slots_and_anchors() {
    for file in [
        "sessions/000_ilo_roundtable_irregular_migration.toml",
        "sessions/004_labour_mobility_day1.toml",
        "sessions/004_labour_mobility_day2.toml",
    ] {
        let show = load_file(Path::new(file)).unwrap();
        let plan = Timetable::new(&show, None);
        assert_eq!(plan.slack_secs(), Some(0), "{file}");
        assert!(plan.warnings().is_empty(), "{file}: {:?}", plan.warnings());
    }
}

#[test]
fn ics_round_trips_through_a_parser_with_one_event_per_segment() {
    let show = load_file(Path::new(
        "sessions/000_ilo_roundtable_irregular_migration.toml",
    ))
    .unwrap();
    let plan = Timetable::new(&show, None);
    let text = render(&plan, &[], Format::Ics).unwrap();
    let calendar = Calendar::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let events: Vec<_> = calendar
        .components
        .iter()
        .filter_map(|c| match c {
            CalendarComponent::Event(e) => Some(e),
            _ => None,
        })
        .collect();
    assert_eq!(events.len(), show.segments.len());
    for (event, row) in events.iter().zip(&plan.rows) {
        let seg = &show.segments[row.index];
        let utc_of = |d: Option<DatePerhapsTime>| match d {
            // UTC, so that every calendar shows the slot in its owner's zone.
            Some(DatePerhapsTime::DateTime(CalendarDateTime::Utc(dt))) => Some(dt),
            other => panic!("not a date-time: {other:?}"),
        };
        assert_eq!(utc_of(event.get_start()), row.start);
        assert_eq!(utc_of(event.get_end()), row.end);
        assert!(event.get_summary().unwrap().starts_with(&seg.title));
        let description = event.get_description().unwrap();
        assert!(
            description.contains(seg.speaker.as_deref().unwrap()),
            "{description}"
        );
        if let Some(notes) = &seg.notes {
            let first_line = notes.lines().next().unwrap();
            assert!(description.contains(first_line), "{description}");
        }
        assert!(event.get_uid().is_some());
    }
    // 15:00 CET on 21 Nov 2022 is 14:00 UTC: Toronto's calendar shows 09:00 from this.
    let first = utc_of_first(&events);
    assert_eq!(first, utc(2022, 11, 21, 14, 0));
    let toronto: Tz = "America/Toronto".parse().unwrap();
    assert_eq!(
        first.with_timezone(&toronto).format("%H:%M").to_string(),
        "09:00"
    );
}

fn utc_of_first(events: &[&icalendar::Event]) -> DateTime<Utc> {
    match events[0].get_start() {
        Some(DatePerhapsTime::DateTime(CalendarDateTime::Utc(dt))) => dt,
        other => panic!("{other:?}"),
    }
}

#[test]
fn ics_needs_a_start() {
    let show = load_file(Path::new("sessions/002_iml_session_four.toml")).unwrap();
    let err = render(&Timetable::new(&show, None), &[], Format::Ics).unwrap_err();
    assert!(err.to_string().contains("needs a start time"), "{err}");
}

#[test]
fn csv_and_json_read_back_with_every_zone() {
    let show = show(DST_NIGHT);
    let plan = Timetable::new(&show, None);
    let tokyo: Tz = "Asia/Tokyo".parse().unwrap();
    let text = render(&plan, &[tokyo], Format::Csv).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert!(
        header.contains(&"start Asia/Tokyo".to_owned()),
        "{header:?}"
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 3);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(&rows[2][col("start Europe/Zurich")], "2021-10-31 02:30");
    assert_eq!(&rows[2][col("start Asia/Tokyo")], "2021-10-31 10:30");
    assert_eq!(&rows[1][col("at")], "02:30");

    let json: serde_json::Value =
        serde_json::from_str(&render(&plan, &[tokyo], Format::Json).unwrap()).unwrap();
    assert_eq!(json["slack_s"], 0);
    assert_eq!(json["fits"], true);
    assert_eq!(json["slot_end"], "2021-10-31T03:30:00+01:00");
    assert_eq!(
        json["segments"][1]["times"]["Europe/Zurich"][0],
        "2021-10-31T02:30:00+02:00"
    );
    assert_eq!(
        json["segments"][2]["times"]["Europe/Zurich"][0],
        "2021-10-31T02:30:00+01:00"
    );
}
