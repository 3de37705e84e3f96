//! Session files: every bundled session loads, every malformed fixture is refused with the exact
//! `FILE:LINE:COL: message` its first line expects.

use std::path::{Path, PathBuf};
use std::time::Duration;

use podium::show::{LoadError, load_file, load_str};

fn files_in(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("directory exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_bundled_session_loads() {
    let files = files_in("sessions");
    assert!(files.len() >= 4, "sessions/ holds the seed programmes");
    for file in files {
        // An event file (issue 12) loads with every room's show.
        let event = podium::show::load_event_file(&file).unwrap_or_else(|e| panic!("{e}"));
        for room in &event.rooms {
            assert!(!room.show.segments.is_empty());
        }
    }
}

#[test]
fn every_fixture_is_refused_where_it_says() {
    let files = files_in("tests/fixtures");
    assert!(files.len() >= 10);
    for file in files {
        // Bytes, not text: a fixture may be invalid UTF-8 on purpose (its first line is not).
        let text =
            String::from_utf8_lossy(&std::fs::read(&file).expect("fixture readable")).into_owned();
        let expect = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect: "))
            .unwrap_or_else(|| panic!("{} lacks its '# expect:' line", file.display()));
        let err = load_file(&file).expect_err(&format!("{} must be refused", file.display()));
        assert!(matches!(err, LoadError::Invalid { .. }));
        let want = format!("{}:{expect}", file.display());
        assert!(
            err.to_string().starts_with(&want),
            "{}\n  got:  {err}\n  want: {want}…",
            file.display()
        );
    }
}

#[test]
fn the_design_example_loads_as_documented() {
    let show = load_str(
        Path::new("example.toml"),
        r#"
title = "International Migration Law — Session Four"
start = "2021-06-10T14:00:00"
timezone = "Europe/Geneva"
warn = "2m"

[[segment]]
title = "Introduction"
speaker = "Organisers"
kind = "intro"
duration = "8m"
max = "10m"
warn = "1m"
notes = "Welcome"

[[segment]]
title = "Short"
duration = "90s"

[[segment]]
title = "Long"
duration = "1h 30m"
"#,
    )
    .expect("valid");
    // 14:00 in Geneva in June is 12:00 UTC.
    assert_eq!(
        show.start.expect("start").to_rfc3339(),
        "2021-06-10T12:00:00+00:00"
    );
    assert_eq!(show.segments[0].warn, Duration::from_secs(60));
    assert_eq!(show.segments[0].max, Some(Duration::from_secs(600)));
    // The inherited 2m warning is longer than a 90 s segment: it shrinks to fit (half).
    assert_eq!(show.segments[1].warn, Duration::from_secs(45));
    assert_eq!(show.segments[2].duration, Duration::from_secs(5400));
    assert_eq!(show.segments[2].warn, Duration::from_secs(120));
    assert_eq!(show.total(), Duration::from_secs(480 + 90 + 5400));
}

#[test]
fn rfc3339_start_keeps_its_own_offset() {
    let show = load_str(
        Path::new("x.toml"),
        "start = \"2021-06-10T14:00:00-04:00\"\ntimezone = \"Asia/Tokyo\"\n[[segment]]\ntitle = \"a\"\nduration = \"1m\"\n",
    )
    .expect("valid");
    assert_eq!(
        show.start.expect("start").to_rfc3339(),
        "2021-06-10T18:00:00+00:00"
    );
}

#[test]
fn seed_002_is_reproduced_faithfully() {
    let show = load_file(Path::new("sessions/002_iml_session_four.toml")).expect("valid");
    let minutes: Vec<u64> = show
        .segments
        .iter()
        .map(|s| s.duration.as_secs() / 60)
        .collect();
    assert_eq!(minutes, [8, 20, 15, 15, 30, 8]);
    let speakers: Vec<&str> = show
        .segments
        .iter()
        .filter_map(|s| s.speaker.as_deref())
        .collect();
    for name in ["Katerine Landuyt", "Ambet Yuson", "William Gois"] {
        assert!(speakers.iter().any(|s| s.contains(name)), "{name} speaks");
    }
}

#[test]
fn seed_000_fills_its_two_hours() {
    let show = load_file(Path::new(
        "sessions/000_ilo_roundtable_irregular_migration.toml",
    ))
    .expect("valid");
    assert_eq!(show.total(), Duration::from_secs(2 * 3600));
    // 15:00 CET is 14:00 UTC.
    assert_eq!(
        show.start.expect("start").to_rfc3339(),
        "2022-11-21T14:00:00+00:00"
    );
    let all: String = show
        .segments
        .iter()
        .filter_map(|s| s.speaker.clone())
        .collect();
    for name in [
        "Miriam Boudraa",
        "Michelle Leighton",
        "Felipe González Morales",
        "Jared Beakley",
        "Maurizio Bove",
        "Ali Serhani",
        "Neha Misra",
        "Michele Levoy",
        "Katerine Landuyt",
    ] {
        assert!(all.contains(name), "{name} is on the programme");
    }
}

#[test]
fn seed_004_days_follow_the_wall_clock_programme() {
    use podium::show::Timetable;
    for (file, ends) in [
        (
            "sessions/004_labour_mobility_day1.toml",
            ["10:15", "13:00", "15:00", "18:00"],
        ),
        (
            "sessions/004_labour_mobility_day2.toml",
            ["13:00", "15:00", "17:50", "18:00"],
        ),
    ] {
        let show = load_file(Path::new(file)).expect("valid");
        let plan = Timetable::new(&show, None);
        let got: Vec<String> = plan
            .rows
            .iter()
            .map(|r| {
                r.end
                    .expect("start given")
                    .with_timezone(&show.timezone)
                    .format("%H:%M")
                    .to_string()
            })
            .collect();
        assert_eq!(got, ends, "{file}");
        assert!(
            show.segments
                .iter()
                .any(|s| s.kind == podium::show::Kind::Break)
        );
    }
}

/// Issue 7: `on_end` per segment, with the session's value as the default.
#[test]
fn on_end_is_inherited_and_overridden() {
    use podium::show::OnEnd;
    let show = load_str(
        Path::new("ends.toml"),
        r#"
on_end = "next"
[[segment]]
title = "Linked"
duration = "5m"
[[segment]]
title = "Hard stop"
duration = "5m"
on_end = "stop"
[[segment]]
title = "Open"
duration = "5m"
on_end = "overtime"
"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let ends: Vec<OnEnd> = show.segments.iter().map(|s| s.on_end).collect();
    assert_eq!(ends, [OnEnd::Next, OnEnd::Stop, OnEnd::Overtime]);
    let plain = load_str(
        Path::new("plain.toml"),
        "[[segment]]\ntitle = \"A\"\nduration = \"1m\"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(plain.segments[0].on_end, OnEnd::Overtime);
}

/// Issue 14: the speaker page's progress bar and "ends at" are on unless `[speaker_page]` turns
/// them off (the refusals are fixtures: speaker_page_*.toml).
#[test]
fn speaker_page_extras_are_on_unless_turned_off() {
    let plain = load_str(
        Path::new("plain.toml"),
        "[[segment]]\ntitle = \"A\"\nduration = \"1m\"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(plain.speaker_page.progress && plain.speaker_page.ends_at);
    let off = load_str(
        Path::new("off.toml"),
        "[speaker_page]\nprogress = false\nends_at = false\n[[segment]]\ntitle = \"A\"\nduration = \"1m\"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(!off.speaker_page.progress && !off.speaker_page.ends_at);
    let one = load_str(
        Path::new("one.toml"),
        "[speaker_page]\nends_at = false\n[[segment]]\ntitle = \"A\"\nduration = \"1m\"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(one.speaker_page.progress && !one.speaker_page.ends_at);
}
