//! Planning (issue 4): the slot and anchor checks, daylight saving, and every output format read
//! back with a real parser (icalendar, csv, serde_json).

use std::path::Path;
use std::str::FromStr;

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use icalendar::{Calendar, CalendarComponent, CalendarDateTime, Component, DatePerhapsTime};
use podium::show::{Format, Notes, Show, Timetable, load_file, load_str, render, render_with};

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
    // The organiser's copy (`--with-notes`): the notes are in the descriptions.
    let text = render_with(&plan, &[], Format::Ics, Notes::Include).unwrap();
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

/// Issue 10: a session written to attack what its exports reach. Its show title ends a calendar
/// line; a segment title forges an event; speakers and titles start like spreadsheet formulas or
/// carry terminal escape sequences (OSC 52 writes the clipboard); the notes are the moderator's.
const HOSTILE: &str = r#"
title = "Hostile\r\nBEGIN:VEVENT"
start = "2022-11-21T10:00:00"
timezone = "Europe/Zurich"
[[segment]]
title = "Opening\nEND:VEVENT\nBEGIN:VEVENT\nSUMMARY:Forged"
speaker = "=cmd|' /C calc'!A0"
duration = "10m"
notes = "MODERATOR ONLY: cut her off at ten minutes"
[[segment]]
title = "+1 Keynote\u001b]52;c;ZWNobyBwd25lZA==\u0007"
speaker = "@Chair\u001b[2J"
duration = "20m"
at = "10:15"
notes = "MODERATOR ONLY: the chair is late"
[[segment]]
title = "-Q&A; with, commas \\ and a backslash"
speaker = "\tTabbed"
duration = "30m"
"#;

fn events_of(text: &str) -> (Calendar, usize) {
    let calendar = Calendar::from_str(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let events = calendar
        .components
        .iter()
        .filter(|c| matches!(c, CalendarComponent::Event(_)))
        .count();
    (calendar, events)
}

fn summaries(calendar: &Calendar) -> Vec<String> {
    calendar
        .components
        .iter()
        .filter_map(|c| match c {
            CalendarComponent::Event(e) => e.get_summary().map(str::to_owned),
            _ => None,
        })
        .collect()
}

fn descriptions(calendar: &Calendar) -> String {
    calendar
        .components
        .iter()
        .filter_map(|c| match c {
            CalendarComponent::Event(e) => e.get_description().map(str::to_owned),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn issue_10_ics_escapes_text_so_a_title_cannot_forge_an_event() {
    let show = show(HOSTILE);
    let plan = Timetable::new(&show, None);
    let text = render(&plan, &[], Format::Ics).unwrap();
    let begins = text
        .lines()
        .filter(|l| l.trim_end() == "BEGIN:VEVENT")
        .count();
    assert_eq!(begins, 3, "one event per segment:\n{text}");
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text:?}"
    );
    // Every line ends CRLF: no bare CR or LF from the data.
    assert!(!text.replace("\r\n", "").contains(['\r', '\n']), "{text:?}");
    let (calendar, events) = events_of(&text);
    assert_eq!(events, 3);
    assert_eq!(calendar.get_name(), Some("Hostile\nBEGIN:VEVENT"));
    assert_eq!(
        summaries(&calendar),
        [
            "Opening\nEND:VEVENT\nBEGIN:VEVENT\nSUMMARY:Forged — =cmd|' /C calc'!A0",
            "+1 Keynote]52;c;ZWNobyBwd25lZA== — @Chair[2J",
            "-Q&A; with, commas \\ and a backslash — \tTabbed",
        ]
    );
}

#[test]
fn issue_10_exports_for_speakers_leave_out_the_moderators_notes() {
    let show = show(HOSTILE);
    let plan = Timetable::new(&show, None);
    for format in [Format::Ics, Format::Json, Format::Csv, Format::Text] {
        let text = render(&plan, &[], format).unwrap();
        assert!(!text.contains("MODERATOR ONLY"), "{format:?}:\n{text}");
    }
    // The organiser's own copy, with --with-notes.
    let ics = render_with(&plan, &[], Format::Ics, Notes::Include).unwrap();
    let (calendar, _) = events_of(&ics);
    let all = descriptions(&calendar);
    assert!(
        all.contains("MODERATOR ONLY: cut her off at ten minutes"),
        "{all}"
    );
    assert!(all.contains("MODERATOR ONLY: the chair is late"), "{all}");
    let json: serde_json::Value =
        serde_json::from_str(&render_with(&plan, &[], Format::Json, Notes::Include).unwrap())
            .unwrap();
    assert_eq!(
        json["segments"][1]["notes"],
        "MODERATOR ONLY: the chair is late"
    );
    assert_eq!(json["segments"][2]["notes"], serde_json::Value::Null);
    let csv = render_with(&plan, &[], Format::Csv, Notes::Include).unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let notes = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "notes")
        .expect("a notes column");
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(
        &rows[0][notes],
        "MODERATOR ONLY: cut her off at ten minutes"
    );
    let text = render_with(&plan, &[], Format::Text, Notes::Include).unwrap();
    assert!(text.contains("MODERATOR ONLY: the chair is late"), "{text}");
}

#[test]
fn issue_10_csv_cells_a_spreadsheet_would_run_are_neutralised() {
    let show = show(HOSTILE);
    let plan = Timetable::new(&show, None);
    let text = render(&plan, &[], Format::Csv).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let cells =
        |name: &str| -> Vec<String> { rows.iter().map(|r| r[col(name)].to_owned()).collect() };
    assert_eq!(
        cells("title"),
        [
            "Opening\nEND:VEVENT\nBEGIN:VEVENT\nSUMMARY:Forged",
            "'+1 Keynote\u{1b}]52;c;ZWNobyBwd25lZA==\u{7}",
            "'-Q&A; with, commas \\ and a backslash",
        ]
    );
    assert_eq!(
        cells("speaker"),
        ["'=cmd|' /C calc'!A0", "'@Chair\u{1b}[2J", "'\tTabbed"]
    );
    // Numbers and times stay what they are, a negative number included (a gap of 5 minutes).
    assert_eq!(cells("anchor_late"), ["", "-300", ""]);
    assert_eq!(cells("duration"), ["10:00", "20:00", "30:00"]);
}

#[test]
fn issue_10_plan_text_prints_no_control_characters() {
    let show = show(HOSTILE);
    let plan = Timetable::new(&show, None);
    let text = render(&plan, &[], Format::Text).unwrap();
    let controls: Vec<char> = text
        .chars()
        .filter(|c| c.is_control() && *c != '\n')
        .collect();
    assert!(controls.is_empty(), "{controls:?} in\n{text}");
    assert!(text.contains("Keynote]52;c;"), "{text}");
}

/// Issue 10: the report's CSV (`podium report --format csv`) defuses the same text cells, with the
/// same helper; its signed numbers (an overrun of -95 s) stay numbers.
#[test]
fn issue_10_report_csv_neutralises_text_cells_too() {
    use podium::journal::{self, Header, Journal};
    use podium::report::Report;
    let show = show(HOSTILE);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hostile.jsonl");
    let header = Header::new(
        &show,
        "hash".into(),
        1.0,
        false,
        "a-moderator-token-long-enough-to-pass",
        1_700_000_000_000.0,
    );
    Journal::create(&path, &header).unwrap();
    let report = Report::from_journal(&journal::read(&path).unwrap());
    let text = report.csv().unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let cells =
        |name: &str| -> Vec<String> { rows.iter().map(|r| r[col(name)].to_owned()).collect() };
    assert_eq!(
        cells("title"),
        [
            "Opening\nEND:VEVENT\nBEGIN:VEVENT\nSUMMARY:Forged",
            "'+1 Keynote\u{1b}]52;c;ZWNobyBwd25lZA==\u{7}",
            "'-Q&A; with, commas \\ and a backslash",
        ]
    );
    assert_eq!(
        cells("speaker"),
        ["'=cmd|' /C calc'!A0", "'@Chair\u{1b}[2J", "'\tTabbed"]
    );
    let cmp = podium::report::Comparison(std::slice::from_ref(&report))
        .csv()
        .unwrap();
    assert!(cmp.contains("\n2,'+1 Keynote"), "{cmp}");
}

/// Issue 10: `podium plan --format ics` is for speakers; `--with-notes` is the organiser's copy.
#[test]
fn issue_10_the_binary_adds_notes_only_with_with_notes() {
    let plan = |extra: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_podium"))
            .args([
                "plan",
                "sessions/000_ilo_roundtable_irregular_migration.toml",
                "--format",
                "ics",
            ])
            .args(extra)
            .output()
            .expect("podium runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).expect("UTF-8");
        descriptions(&events_of(&text).0)
    };
    let note = "shorten this segment so the closing remarks still start by 16:50";
    let speakers = plan(&[]);
    assert!(!speakers.contains(note), "{speakers}");
    assert!(speakers.contains("Speaker: "), "{speakers}");
    let organiser = plan(&["--with-notes"]);
    assert!(organiser.contains(note), "{organiser}");
}
