//! Event files (issue 12) as a user meets them: the bundled seed-004 event loads with its rooms,
//! `podium check` and `podium plan` (all rooms, `--room`) on the real binary, and every bad event
//! refused with exit status 2 and its `FILE:LINE:COL`.

use std::path::Path;
use std::process::{Command, Output};

use podium::show::load_event_file;

const EVENT: &str = "sessions/004_labour_mobility_event.toml";

fn podium(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_podium"))
        .args(args)
        .output()
        .expect("podium runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_seed_004_event_holds_both_plenaries_and_the_five_side_events() {
    let event = load_event_file(Path::new(EVENT)).unwrap_or_else(|e| panic!("{e}"));
    let rooms: Vec<(&str, &str)> = event
        .rooms
        .iter()
        .map(|r| (r.id.as_str(), r.show.title.as_str()))
        .collect();
    assert_eq!(rooms.len(), 7, "{rooms:?}");
    assert_eq!(
        event.rooms[0].session.as_deref(),
        Some(Path::new("sessions/004_labour_mobility_day1.toml"))
    );
    assert_eq!(
        event.rooms[2].session.as_deref(),
        Some(Path::new("sessions/004_labour_mobility_day2.toml"))
    );
    let side: Vec<(&str, String)> = event
        .rooms
        .iter()
        .filter(|r| r.session.is_none())
        .map(|r| {
            let start = r.show.start.expect("a side event has its start");
            let tt = podium::show::Timetable::new(&r.show, None);
            let end = tt.rows.last().and_then(|row| row.end).expect("an end");
            let tz = r.show.timezone;
            (
                r.show.title.as_str(),
                format!(
                    "{} {}–{}",
                    start.with_timezone(&tz).format("%d %H:%M"),
                    start.with_timezone(&tz).format("%H:%M"),
                    end.with_timezone(&tz).format("%H:%M")
                ),
            )
        })
        .collect();
    assert_eq!(
        side,
        [
            ("Health and migration", "12 13:15 13:15–14:30".to_owned()),
            (
                "Human rights perspectives on irregular migration and decent work for migrants",
                "13 13:15 13:15–14:30".to_owned()
            ),
            (
                "Ethical Recruitment in Global Labour Mobility",
                "13 13:15 13:15–14:45".to_owned()
            ),
            (
                "Labour Mobility and Skills Recognition: insights from ASEAN and ECOWAS",
                "13 13:15 13:15–14:45".to_owned()
            ),
            (
                "Ensuring Access to Decent Work and Protecting the Rights of Women Migrant Workers",
                "13 13:15 13:15–14:30".to_owned()
            ),
        ]
    );
    for room in &event.rooms {
        assert!(
            room.show
                .segments
                .iter()
                .all(|s| s.speaker.is_none() || room.session.is_some()),
            "no speaker invented for {}",
            room.id
        );
    }
}

#[test]
fn check_and_plan_read_an_event() {
    let out = podium(&["check", EVENT]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!(
            "ok  {EVENT}: event of 7 rooms (xix-day1, xxvii-day1, xix-day2, viii-day2, xi-day2, xxiii-day2, xxv-day2), 13 segments\n"
        )
    );

    let out = podium(&["plan", EVENT]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let plan = text(&out.stdout);
    assert!(
        plan.contains("  xi-day2        Fri 13 Oct 13:15–14:45        1  Room XI — 13 October\n"),
        "{plan}"
    );
    assert_eq!(
        plan.matches("\n== ").count(),
        7,
        "one timetable per room:\n{plan}"
    );
    assert!(
        plan.contains("== Room XIX — 13 October — room xix-day2 =="),
        "{plan}"
    );
    // The tables fit 80 columns (a title line is as long as the title).
    for line in plan.lines().filter(|l| l.starts_with(' ')) {
        assert!(
            line.chars().count() <= 80,
            "wider than 80 columns: {line:?}"
        );
    }

    let out = podium(&["plan", EVENT, "--room", "xxv-day2", "--format", "csv"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    assert!(csv.contains("Ensuring Access to Decent Work"), "{csv}");
    assert!(!csv.contains("PANEL"), "one room only: {csv}");

    let out = podium(&["plan", EVENT, "--room", "xxiv"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("has no such room; its rooms: xix-day1,"),
        "{}",
        text(&out.stderr)
    );
    let out = podium(&["plan", EVENT, "--format", "json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("add --room ID"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_session_file_is_still_checked_and_planned_as_before() {
    let out = podium(&[
        "plan",
        "sessions/002_iml_session_four.toml",
        "--room",
        "main",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let plain = podium(&["plan", "sessions/002_iml_session_four.toml"]);
    assert_eq!(out.stdout, plain.stdout);
}

/// Each bad event: exit status 2, its message at its place, nothing on stdout.
#[test]
fn every_bad_event_is_refused_with_exit_status_2_and_where() {
    let dir = tempfile::tempdir().expect("temp dir");
    let day = "title = \"Day\"\n[[segment]]\ntitle = \"Panel\"\nduration = \"1h\"\n";
    std::fs::write(dir.path().join("day.toml"), day).expect("write");
    std::fs::write(
        dir.path().join("broken.toml"),
        "title = \"Broken\"\n[[segment]]\ntitle = \"Panel\"\nduration = 60\n",
    )
    .expect("write");
    let cases: &[(&str, &str, &str)] = &[
        (
            "duplicate.toml",
            "title = \"E\"\n[[room]]\nid = \"a\"\nsession = \"day.toml\"\n[[room]]\nid = \"a\"\nsession = \"day.toml\"\n",
            "duplicate.toml:6:6: room id \"a\" is already used by the room at line 3",
        ),
        (
            "unsafe.toml",
            "title = \"E\"\n[[room]]\nid = \"Room VIII\"\nsession = \"day.toml\"\n",
            "unsafe.toml:3:6: room id \"Room VIII\" is not URL-safe",
        ),
        (
            "broken_room.toml",
            "title = \"E\"\n[[room]]\nid = \"plenary\"\nsession = \"broken.toml\"\n",
            "broken.toml:4:12: duration = 60 is a number",
        ),
        (
            "empty.toml",
            "title = \"E\"\nroom = []\n",
            "empty.toml:3:1: the event has no rooms",
        ),
        (
            "both.toml",
            "title = \"E\"\n[[room]]\nid = \"a\"\nsession = \"day.toml\"\n[room.show]\n[[room.show.segment]]\ntitle = \"x\"\nduration = \"5m\"\n",
            "both.toml:5:1: room \"a\" has both session = and [room.show]",
        ),
        (
            "neither.toml",
            "title = \"E\"\n[[room]]\nid = \"a\"\nname = \"Room A\"\n",
            "neither.toml:2:1: room \"a\" has no run-of-show",
        ),
    ];
    for (name, body, want) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, body).expect("write");
        let path = path.display().to_string();
        for cmd in ["check", "plan"] {
            let out = podium(&[cmd, &path]);
            let stderr = text(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{cmd} {name}: {stderr}");
            assert!(out.stdout.is_empty(), "{cmd} {name}");
            assert!(
                stderr.contains(want),
                "{cmd} {name}\n  got:  {stderr}\n  want: …{want}"
            );
        }
    }
    // The broken room's error names the room and where the event names its session.
    let out = podium(&[
        "check",
        &dir.path().join("broken_room.toml").display().to_string(),
    ]);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("(room \"plenary\", whose session is named at ")
            && stderr.contains("broken_room.toml:4:11)"),
        "{stderr}"
    );
}

#[test]
fn rooms_sharing_a_session_file_are_allowed_and_noted() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("workshop.toml"),
        "title = \"Workshop\"\n[[segment]]\ntitle = \"Exercise\"\nduration = \"45m\"\n",
    )
    .expect("write");
    let path = dir.path().join("breakouts.toml");
    std::fs::write(
        &path,
        "title = \"Breakouts\"\n[[room]]\nid = \"a\"\nsession = \"workshop.toml\"\n[[room]]\nid = \"b\"\nsession = \"workshop.toml\"\n",
    )
    .expect("write");
    let out = podium(&["check", &path.display().to_string()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("note: rooms a, b run the same session file"),
        "{}",
        text(&out.stderr)
    );
}

/// Writes room `room`'s journal of `show` into `dir`: started at show time 0, the first segment
/// moved on after `first_ms`.
fn room_journal(dir: &Path, room: &str, show: &podium::show::Show, first_ms: i64) {
    use podium::engine::{Command, ShowTime};
    use podium::journal::{self, Header, Journal, Line};
    let zero = 1_700_000_000_000.0;
    let header = Header::new(
        show,
        format!("hash-{room}"),
        1.0,
        false,
        "t0ken-t0ken-t0ken",
        zero,
    )
    .in_room(room, "organiser-token-0");
    let mut journal = Journal::create(&journal::room_journal(dir, room), &header).expect("journal");
    let mut engine = podium::engine::Engine::new(show);
    for (at, cmd) in [(0, Command::Start), (first_ms, Command::Next)] {
        let events = engine.apply(cmd.clone(), ShowTime(at)).expect("applies");
        let wall = journal::wall((zero + at as f64) as i64);
        let mut lines = vec![Line::command(ShowTime(at), wall, &cmd)];
        lines.extend(events.iter().map(|e| Line::event(ShowTime(at), wall, e)));
        journal.write(&lines).expect("written");
    }
}

#[test]
fn report_of_an_events_run_gives_the_whole_event_then_each_room() {
    let event = load_event_file(Path::new(EVENT)).expect("event");
    let dir = tempfile::tempdir().expect("temp dir");
    let run = dir.path().join("labour-2017");
    std::fs::create_dir(&run).expect("run dir");
    room_journal(
        &run,
        "xix-day2",
        &event.room("xix-day2").expect("room").show,
        3 * 3_600_000 + 120_000,
    );
    room_journal(
        &run,
        "xi-day2",
        &event.room("xi-day2").expect("room").show,
        80 * 60_000,
    );
    let run_arg = run.display().to_string();

    let out = podium(&["report", &run_arg]);
    let md = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(md.starts_with("# Event report: 2 rooms, 2 runs\n"), "{md}");
    // The directory's journals in name order: xi-day2 before xix-day2.
    let xi = md.find("\n## Room xi-day2\n").expect("xi's section");
    let xix = md.find("\n## Room xix-day2\n").expect("xix's section");
    assert!(xi < xix, "{md}");
    assert!(
        md.contains("| xi-day2 | Ethical Recruitment in Global Labour Mobility | live |"),
        "{md}"
    );
    assert!(
        md.contains("\n### Ethical Recruitment in Global Labour Mobility — live\n"),
        "{md}"
    );

    let out = podium(&["report", &run_arg, "--format", "csv"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(reader.headers().expect("header").get(0), Some("room"));
    let rooms: Vec<String> = reader
        .records()
        .map(|r| r.expect("record")[0].to_owned())
        .collect();
    assert_eq!(rooms.iter().filter(|r| *r == "xi-day2").count(), 1);
    assert_eq!(rooms.iter().filter(|r| *r == "xix-day2").count(), 4);

    // Journal files named one by one, as JSON.
    let files: Vec<String> = ["xix-day2", "xi-day2"]
        .iter()
        .map(|id| {
            podium::journal::room_journal(&run, id)
                .display()
                .to_string()
        })
        .collect();
    let out = podium(&["report", &files[0], &files[1], "--format", "json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["rooms"][0]["room"], "xix-day2");
    assert_eq!(json["rooms"][1]["runs"][0]["room"], "xi-day2");
    assert_eq!(
        json["rooms"][1]["runs"][0]["rows"][0]["overrun_ms"],
        -10 * 60_000
    );
}

/// The README's event file is a valid event (its session file read from `sessions/`).
#[test]
fn the_readmes_event_example_loads() {
    let readme = std::fs::read_to_string("README.md").expect("README");
    let from = readme
        .find("### The event file\n```toml\n")
        .expect("the section")
        + 27;
    let example = &readme[from..from + readme[from..].find("```").expect("block end")];
    let event = podium_core::event::parse_event(
        Path::new("sessions/example.toml"),
        example,
        chrono_tz::UTC,
        &mut |p| std::fs::read(p),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let ids: Vec<&str> = event.rooms.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["plenary", "side-viii"]);
    assert_eq!(event.rooms[1].name, "Room VIII");
}
