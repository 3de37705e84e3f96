//! Importing what organisers have (issue 4): the seeds' plain-text agendas must give the bundled
//! sessions' segments; a spreadsheet CSV imports with its columns in any order, and every bad row
//! is reported with its line number.

use std::path::Path;
use std::process::Command;

use podium::import::{ImportError, Options, import_file};
use podium::show::{Show, load_file, load_str};

fn imported(file: &str, options: &Options) -> Show {
    let session = import_file(Path::new(file), options).unwrap_or_else(|e| panic!("{e}"));
    load_str(Path::new("imported.toml"), &session.text).expect("an import always loads")
}

/// What the import promises: title, speaker, kind and planned length of every segment.
fn outline(show: &Show) -> Vec<(String, Option<String>, &'static str, u64)> {
    show.segments
        .iter()
        .map(|s| {
            (
                s.title.clone(),
                s.speaker.clone(),
                s.kind.as_str(),
                s.duration.as_secs(),
            )
        })
        .collect()
}

#[test]
fn seed_002_text_gives_the_bundled_session_segments() {
    let show = imported(
        "tests/agendas/002_iml_session_four.txt",
        &Options::default(),
    );
    let bundled = load_file(Path::new("sessions/002_iml_session_four.toml")).unwrap();
    assert_eq!(outline(&show), outline(&bundled));
    // Bullets under a talk become its notes.
    let notes = show.segments[2].notes.as_deref().unwrap();
    assert!(notes.starts_with("• An overview on BWI"), "{notes}");
}

#[test]
fn seed_004_time_ranges_give_the_wall_clock_programme_of_each_day() {
    for (day, file, date) in [
        (1, "sessions/004_labour_mobility_day1.toml", "2017-10-12"),
        (2, "sessions/004_labour_mobility_day2.toml", "2017-10-13"),
    ] {
        let options = Options {
            day: Some(day),
            date: Some(date.into()),
            timezone: Some("Europe/Geneva".into()),
            ..Options::default()
        };
        let show = imported("tests/agendas/004_labour_mobility.txt", &options);
        let bundled = load_file(Path::new(file)).unwrap();
        let programme = |s: &Show| -> Vec<(Option<chrono::NaiveTime>, u64, String)> {
            s.segments
                .iter()
                .map(|g| (g.at, g.duration.as_secs(), g.title.clone()))
                .collect()
        };
        assert_eq!(programme(&show), programme(&bundled), "day {day}");
        let kinds: Vec<_> = show.segments.iter().map(|s| s.kind).collect();
        let bundled_kinds: Vec<_> = bundled.segments.iter().map(|s| s.kind).collect();
        assert_eq!(kinds, bundled_kinds, "day {day}");
        assert_eq!(show.start, bundled.start, "day {day}");
        assert_eq!(show.end, bundled.end, "day {day}");
    }
}

#[test]
fn a_multi_day_agenda_asks_which_day() {
    let err = import_file(
        Path::new("tests/agendas/004_labour_mobility.txt"),
        &Options::default(),
    )
    .unwrap_err();
    assert!(matches!(err, ImportError::Input { .. }));
    assert!(
        err.to_string()
            .contains("the agenda has 2 days: import one at a time with --day 1 … --day 2"),
        "{err}"
    );
}

#[test]
fn csv_columns_in_any_order_with_lengths_as_spreadsheets_write_them() {
    let show = imported("tests/agendas/good.csv", &Options::default());
    assert_eq!(
        outline(&show),
        [
            ("Welcome".into(), Some("Organisers".into()), "intro", 480),
            (
                "ILO standards".into(),
                Some("Landuyt, Katerine".into()),
                "talk",
                1200
            ),
            ("Questions and answers".into(), None, "qa", 1800),
            (
                "Closing remarks".into(),
                Some("Organisers".into()),
                "closing",
                480
            ),
        ]
    );
    assert_eq!(show.segments[0].min.map(|m| m.as_secs()), Some(300));
    assert_eq!(
        show.segments[0].at.map(|t| t.to_string()),
        Some("14:00:00".into())
    );
    assert_eq!(show.segments[1].max.map(|m| m.as_secs()), Some(1500));
    assert_eq!(
        show.segments[1].notes.as_deref(),
        Some("Mandate, standards; impact")
    );
    assert_eq!(show.segments[2].min.map(|m| m.as_secs()), Some(600));
}

#[test]
fn every_bad_csv_row_is_reported_with_its_line() {
    let err =
        import_file(Path::new("tests/agendas/bad_rows.csv"), &Options::default()).unwrap_err();
    let ImportError::Rows { problems, .. } = &err else {
        panic!("{err}");
    };
    let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, [3, 4, 5, 6, 7, 8, 10], "{err}");
    let text = err.to_string();
    for expected in [
        "tests/agendas/bad_rows.csv:3: the title is empty",
        "tests/agendas/bad_rows.csv:4: duration: \"eight minutes\" is not a length",
        "tests/agendas/bad_rows.csv:5: min (40:00) is longer than duration (30:00)",
        "tests/agendas/bad_rows.csv:6: kind \"keynote\" is not one of",
        "tests/agendas/bad_rows.csv:7: at \"noon\" is not a time of day",
        "tests/agendas/bad_rows.csv:8: duration: \"8:00\" is ambiguous",
        "tests/agendas/bad_rows.csv:10: `at` is earlier than an anchor above it",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
}

#[test]
fn the_binary_writes_the_session_refuses_to_overwrite_and_exits_2_on_bad_rows() {
    let podium = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_podium"))
            .args(args)
            .output()
            .expect("podium runs")
    };
    let dir = std::env::temp_dir().join(format!("podium-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("iml.toml");
    let _ = std::fs::remove_file(&out);
    let out_arg = out.to_str().unwrap();
    let first = podium(&[
        "import",
        "tests/agendas/002_iml_session_four.txt",
        "--out",
        out_arg,
    ]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let check = podium(&["check", out_arg]);
    assert!(check.status.success());
    assert!(String::from_utf8_lossy(&check.stdout).contains("6 segments, 1:36:00"));
    let again = podium(&[
        "import",
        "tests/agendas/002_iml_session_four.txt",
        "--out",
        out_arg,
    ]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    let bad = podium(&["import", "tests/agendas/bad_rows.csv"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("bad_rows.csv:3:"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_agenda_without_marks_or_ranges_is_refused_with_what_to_write() {
    use podium::import::import_text;
    let err = import_text(
        Path::new("notes.txt"),
        "Hello\nworld\n",
        &Options::default(),
    )
    .unwrap_err();
    assert!(
        err.to_string().starts_with("notes.txt: no segments found"),
        "{err}"
    );
    let dated = Options {
        date: Some("2021-06-10".into()),
        ..Options::default()
    };
    let err = import_text(Path::new("a.txt"), "Welcome: organisers (8')\n", &dated).unwrap_err();
    assert!(
        err.to_string().contains("--date needs clock times"),
        "{err}"
    );
}

/// The problems of a refused import, as `(line, message)`.
fn problems(err: &ImportError) -> Vec<(usize, String)> {
    match err {
        ImportError::Rows { problems, .. } => problems
            .iter()
            .map(|p| (p.line, p.message.clone()))
            .collect(),
        other => panic!("not a refusal by line: {other}"),
    }
}

/// Issue 10: 4611686018427387912 minutes × 60 overflowed to 480 seconds and imported as "8m".
#[test]
fn issue_10_a_huge_length_is_refused_with_its_line_not_wrapped_around() {
    use podium::import::{import_csv, import_text};
    let err = import_csv(
        Path::new("huge.csv"),
        "title,duration\nIntro,8\nTalk,4611686018427387912\nQ&A,99999999999999999999999\n",
        &Options::default(),
    )
    .unwrap_err();
    let found = problems(&err);
    assert_eq!(found.len(), 2, "{err}");
    assert_eq!(found[0].0, 3, "{err}");
    assert!(found[0].1.contains("longer than a day"), "{err}");
    assert_eq!(found[1].0, 4, "{err}");
    let err = import_text(
        Path::new("huge.txt"),
        "Welcome: organisers (8')\nTalk (4611686018427387912')\n",
        &Options::default(),
    )
    .unwrap_err();
    let found = problems(&err);
    assert_eq!(found.len(), 1, "{err}");
    assert_eq!(found[0].0, 2, "{err}");
    assert!(found[0].1.contains("longer than a day"), "{err}");
}

/// Issue 10: a length over 24 h was refused by the loader at a line of the generated TOML.
#[test]
fn issue_10_a_length_over_a_day_names_the_inputs_line() {
    use podium::import::{import_csv, import_text};
    for (err, line) in [
        (
            import_csv(
                Path::new("long.csv"),
                "title,duration,max\nIntro,8,\nMarathon,25h,\nPanel,60,999:00:00\n",
                &Options::default(),
            )
            .unwrap_err(),
            vec![3, 4],
        ),
        (
            import_text(
                Path::new("long.txt"),
                "Welcome: organisers (8')\n\nMarathon (1500 min)\n",
                &Options::default(),
            )
            .unwrap_err(),
            vec![3],
        ),
    ] {
        let text = err.to_string();
        assert!(!text.contains("please report"), "{text}");
        let found = problems(&err);
        assert_eq!(
            found.iter().map(|p| p.0).collect::<Vec<_>>(),
            line,
            "{text}"
        );
        assert!(
            found.iter().all(|p| p.1.contains("longer than a day")),
            "{text}"
        );
    }
}

/// Issue 10: a time range with no title was reported at line 0.
#[test]
fn issue_10_a_time_range_without_a_title_names_its_line() {
    let err = podium::import::import_text(
        Path::new("ranges.txt"),
        "Programme\n\n10:00 - 10:15 Opening\n10:15 - 11:00\n",
        &Options::default(),
    )
    .unwrap_err();
    assert_eq!(
        problems(&err),
        [(
            4,
            "a time range without a title: put the title on its line or the next".to_owned()
        )]
    );
    assert!(
        err.to_string()
            .contains("ranges.txt:4: a time range without a title")
    );
}

/// Issue 10: a file name with line breaks wrote TOML of its own into the session.
#[test]
fn issue_10_a_file_name_cannot_inject_toml() {
    let dir = tempfile::tempdir().unwrap();
    let name = "agenda\n[[segment]]\ntitle = \"Injected\"\nduration = \"1m\"\n#.txt";
    let path = dir.path().join(name);
    std::fs::write(&path, "Welcome: organisers (8')\n").unwrap();
    let session = import_file(&path, &Options::default()).unwrap_or_else(|e| panic!("{e}"));
    let show = load_str(Path::new("imported.toml"), &session.text)
        .unwrap_or_else(|e| panic!("{e}\n{}", session.text));
    assert_eq!(outline(&show).len(), 1, "{}", session.text);
    assert_eq!(show.segments[0].title, "Welcome");
    assert_eq!(
        session
            .text
            .lines()
            .filter(|l| l.starts_with("[[segment]]"))
            .count(),
        1,
        "{}",
        session.text
    );
    // The name is still there, escaped, for whoever reads the file.
    assert!(
        session.text.contains("agenda\\n[[segment]]"),
        "{}",
        session.text
    );
}

/// Issue 10: an agenda that is not UTF-8 was refused without a position.
#[test]
fn issue_10_invalid_utf8_is_refused_at_its_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in [
        (
            "latin1.txt",
            &b"Welcome: organisers (8')\nCaf\xe9 talk (20')\n"[..],
        ),
        ("latin1.csv", &b"title,duration\nIntro,8\nCaf\xe9,20\n"[..]),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let err = import_file(&path, &Options::default()).unwrap_err();
        let want = format!(
            "{}:{}:4: the file is not UTF-8 text (byte 0xE9 here): save it as UTF-8",
            path.display(),
            if name.ends_with("txt") { 2 } else { 3 }
        );
        assert_eq!(err.to_string(), want);
    }
}

/// Issue 10: `podium plan --format csv` defuses cells a spreadsheet would run with a leading `'`;
/// an import removes it again, so such titles come back as they were.
#[test]
fn issue_10_a_defused_csv_cell_imports_as_it_was_written() {
    let show = imported_csv("title,speaker,duration\n'=SUM(A1),'@Chair,8\n'-Q&A,,5\n'Quoted,,3\n");
    let titles: Vec<&str> = show.segments.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(titles, ["=SUM(A1)", "-Q&A", "'Quoted"]);
    assert_eq!(show.segments[0].speaker.as_deref(), Some("@Chair"));
}

fn imported_csv(text: &str) -> Show {
    let session = podium::import::import_csv(Path::new("sheet.csv"), text, &Options::default())
        .unwrap_or_else(|e| panic!("{e}"));
    load_str(Path::new("imported.toml"), &session.text).expect("an import always loads")
}

/// Issue 10: what only the loader can refuse (here an anchor the clocks skip) is still reported at
/// the input's line, not at a line of the generated TOML.
#[test]
fn issue_10_what_the_loader_refuses_in_a_segment_names_the_inputs_line() {
    let options = Options {
        date: Some("2021-03-28".into()),
        timezone: Some("Europe/Zurich".into()),
        ..Options::default()
    };
    let err = podium::import::import_text(
        Path::new("night.txt"),
        "Night school\n\n01:00 - 02:00 Lecture\n02:30 - 03:00 Questions\n",
        &options,
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(!text.contains("please report"), "{text}");
    let found = problems(&err);
    assert_eq!(found.len(), 1, "{text}");
    assert_eq!(found[0].0, 4, "{text}");
    assert!(
        found[0].1.contains("02:30 does not exist on 2021-03-28"),
        "{text}"
    );
}

/// A note whose line reads like a segment header does not throw the line off.
#[test]
fn issue_10_a_note_that_looks_like_toml_does_not_shift_the_line() {
    let options = Options {
        date: Some("2021-03-28".into()),
        timezone: Some("Europe/Zurich".into()),
        ..Options::default()
    };
    let err = podium::import::import_csv(
        Path::new("night.csv"),
        "title,duration,at,notes\nLecture,60,01:00,\"x\n[[segment]]\ny\"\nQuestions,30,02:30,\n",
        &options,
    )
    .unwrap_err();
    let found = problems(&err);
    assert_eq!(found.len(), 1, "{err}");
    assert_eq!(found[0].0, 5, "{err}");
    assert!(found[0].1.contains("02:30 does not exist"), "{err}");
}

// Issue 15: spreadsheets as organisers really export them.

/// An import, its session loaded, and its warnings.
fn imported_warned(path: &Path, options: &Options) -> (Show, Vec<String>) {
    let session = import_file(path, options).unwrap_or_else(|e| panic!("{e}"));
    let show = load_str(Path::new("imported.toml"), &session.text)
        .unwrap_or_else(|e| panic!("{e}\n{}", session.text));
    (show, session.warnings)
}

const READS: &str = "podium reads title, speaker, kind, duration, min, max, at, notes";

/// Excel in a French locale: "CSV UTF-8" with a BOM, semicolons, CRLF, French headers with a unit,
/// a decimal comma, an empty row, and columns podium does not read (warned about, not refused).
#[test]
fn issue_15_a_french_excel_csv_with_semicolons_and_units() {
    let path = Path::new("tests/agendas/programme_fr.csv");
    let (show, warnings) = imported_warned(path, &Options::default());
    assert_eq!(
        outline(&show),
        [
            (
                "Ouverture de la séance".into(),
                Some("Organisateurs".into()),
                "intro",
                480
            ),
            (
                "Normes internationales du travail".into(),
                Some("Landuyt, Katerine; OIT".into()),
                "talk",
                1200
            ),
            ("Questions et réponses".into(), None, "qa", 1800),
            (
                "Clôture".into(),
                Some("Organisateurs".into()),
                "closing",
                450
            ),
        ]
    );
    assert_eq!(
        show.segments[0].at.map(|t| t.to_string()),
        Some("14:00:00".into())
    );
    assert_eq!(show.segments[1].notes.as_deref(), Some("Mandat; normes"));
    assert_eq!(
        warnings,
        [format!(
            "tests/agendas/programme_fr.csv:1: columns \"N°\", \"Salle\" ignored: {READS}"
        )]
    );
}

/// Excel in a German locale, "Text (Tabstopp-getrennt)": a .txt of tab-separated cells.
#[test]
fn issue_15_a_tab_separated_german_sheet() {
    let (show, warnings) = imported_warned(
        Path::new("tests/agendas/programm_de.txt"),
        &Options::default(),
    );
    assert_eq!(
        outline(&show),
        [
            (
                "Begrüßung".into(),
                Some("Veranstalter".into()),
                "intro",
                300
            ),
            (
                "Arbeitsmigration in Europa".into(),
                Some("Dr. Anna Müller".into()),
                "talk",
                1500
            ),
            ("Fragen und Diskussion".into(), None, "qa", 900),
            ("Kaffeepause".into(), None, "break", 600),
            (
                "Schlusswort".into(),
                Some("Veranstalter".into()),
                "closing",
                300
            ),
        ]
    );
    let at: Vec<_> = show.segments.iter().map(|s| s.at).collect();
    assert_eq!(at[1].map(|t| t.to_string()), Some("10:05:00".into()));
    assert_eq!(
        show.segments[1].notes.as_deref(),
        Some("mit Folien; 12 Seiten")
    );
    assert!(warnings.is_empty(), "{warnings:?}");
}

/// The unit in a header says what a bare number means; `h:mm` and `mm:ss` read the two-part form.
#[test]
fn issue_15_units_in_headers_change_what_numbers_mean() {
    let show = imported_csv(
        "Title,Duration (s),Max (h:mm),Min [mm:ss]\nIntro,90,,1:00\nPanel,3600,1:30,45:00\n",
    );
    let lengths: Vec<_> = show
        .segments
        .iter()
        .map(|s| {
            (
                s.duration.as_secs(),
                s.min.map(|d| d.as_secs()),
                s.max.map(|d| d.as_secs()),
            )
        })
        .collect();
    assert_eq!(
        lengths,
        [(90, Some(60), None), (3600, Some(2700), Some(5400))]
    );
    let show = imported_csv("Título,Duración (horas)\nPanel,\"1,5\"\n");
    assert_eq!(show.segments[0].duration.as_secs(), 5400);
    let err = podium::import::import_csv(
        Path::new("days.csv"),
        "title,duration (days)\nPanel,1\n",
        &Options::default(),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("days.csv:1: column \"duration (days)\": unknown unit \"days\""),
        "{err}"
    );
}

/// An organiser's real export was refused whole for one extra column; now the binary imports it
/// and names what it left out on standard error.
#[test]
fn issue_15_extra_columns_are_ignored_with_a_warning_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("programme.csv");
    std::fs::write(
        &path,
        "#,Title,Speaker,Duration,Room,Chair\n1,Welcome,Organisers,8,A,Smith\n2,Panel,,45,A,Smith\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_podium"))
        .arg("import")
        .arg(&path)
        .output()
        .expect("podium runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(
        stderr.trim_end(),
        format!(
            "podium: warning: {}:1: columns \"#\", \"Room\", \"Chair\" ignored: {READS}",
            path.display()
        )
    );
    let show = load_str(Path::new("out.toml"), &String::from_utf8_lossy(&out.stdout)).unwrap();
    assert_eq!(outline(&show).len(), 2);
}

/// `podium plan --format csv` imports back: the same titles, speakers, kinds, lengths, anchors and
/// notes (its own columns are not warned about; its `8:00` is minutes and seconds).
#[test]
fn issue_15_a_planned_csv_imports_back() {
    let dir = tempfile::tempdir().unwrap();
    for session in [
        "sessions/002_iml_session_four.toml",
        "sessions/004_labour_mobility_day1.toml",
        "sessions/000_ilo_roundtable_irregular_migration.toml",
    ] {
        let plan = Command::new(env!("CARGO_BIN_EXE_podium"))
            .args(["plan", session, "--format", "csv", "--with-notes"])
            .output()
            .expect("podium runs");
        assert!(
            plan.status.success(),
            "{}",
            String::from_utf8_lossy(&plan.stderr)
        );
        let csv = dir.path().join("plan.csv");
        std::fs::write(&csv, &plan.stdout).unwrap();
        let (show, warnings) = imported_warned(&csv, &Options::default());
        let bundled = load_file(Path::new(session)).unwrap();
        assert_eq!(outline(&show), outline(&bundled), "{session}");
        let rest = |s: &Show| -> Vec<_> {
            s.segments
                .iter()
                .map(|g| (g.at, g.shortest(), g.max, g.notes.clone()))
                .collect()
        };
        assert_eq!(rest(&show), rest(&bundled), "{session}");
        assert!(warnings.is_empty(), "{session}: {warnings:?}");
    }
}

/// A workbook as an organiser keeps it: a title row above the header, Excel times for the start
/// and for a length, a number, a formula, an empty row, an extra column and a second sheet.
#[test]
fn issue_15_an_xlsx_workbook_imports_its_first_sheet() {
    use rust_xlsxwriter::{Format, Formula, Workbook};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("programme.xlsx");
    let mut book = Workbook::new();
    let clock = Format::new().set_num_format("hh:mm");
    let length = Format::new().set_num_format("[h]:mm:ss");
    let sheet = book.add_worksheet();
    sheet.set_name("Programme").unwrap();
    sheet
        .write_string(0, 0, "Session four — 4 December")
        .unwrap();
    for (col, name) in [
        "Start",
        "Title",
        "Speaker",
        "Duration (min)",
        "Kind",
        "Room",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(2, col as u16, *name).unwrap();
    }
    sheet
        .write_number_with_format(3, 0, 14.0 / 24.0, &clock)
        .unwrap();
    sheet.write_string(3, 1, "Welcome").unwrap();
    sheet.write_string(3, 2, "Organisers").unwrap();
    sheet.write_number(3, 3, 8).unwrap();
    sheet.write_string(3, 4, "intro").unwrap();
    sheet.write_string(3, 5, "A").unwrap();
    sheet.write_string(4, 1, "ILO standards").unwrap();
    sheet.write_string(4, 2, "Landuyt, Katerine").unwrap();
    sheet
        .write_number_with_format(4, 3, 20.0 / 1440.0, &length)
        .unwrap();
    // Row 6 is empty.
    sheet.write_string(6, 1, "Questions and answers").unwrap();
    sheet
        .write_formula(6, 3, Formula::new("=10+20").set_result("30"))
        .unwrap();
    sheet.write_string(7, 1, "Closing remarks").unwrap();
    sheet.write_number(7, 3, 7.5).unwrap();
    book.add_worksheet().set_name("Speakers").unwrap();
    book.save(&path).unwrap();

    let (show, warnings) = imported_warned(&path, &Options::default());
    assert_eq!(
        outline(&show),
        [
            ("Welcome".into(), Some("Organisers".into()), "intro", 480),
            (
                "ILO standards".into(),
                Some("Landuyt, Katerine".into()),
                "talk",
                1200
            ),
            ("Questions and answers".into(), None, "qa", 1800),
            ("Closing remarks".into(), None, "closing", 450),
        ]
    );
    assert_eq!(
        show.segments[0].at.map(|t| t.to_string()),
        Some("14:00:00".into())
    );
    let p = path.display();
    assert_eq!(
        warnings,
        [
            format!(
                "{p}: read the first sheet, \"Programme\", of 2 (\"Programme\", \"Speakers\"): \
                 choose another with --sheet"
            ),
            format!("{p}:3: column \"Room\" (Programme!F3) ignored: {READS}"),
            format!("{p}:1: line 1 above the header (line 3) ignored"),
        ]
    );

    // The second sheet, by name or number: its problems name its rows and cells.
    let mut book = Workbook::new();
    book.add_worksheet().set_name("Notes").unwrap();
    let day = book.add_worksheet();
    day.set_name("Day 2").unwrap();
    for (col, name) in ["Title", "Duration"].iter().enumerate() {
        day.write_string(0, col as u16, *name).unwrap();
    }
    day.write_string(1, 0, "Opening").unwrap();
    day.write_number(1, 1, 10).unwrap();
    day.write_string(3, 0, "Panel").unwrap();
    day.write_string(3, 1, "an hour").unwrap();
    day.write_number(4, 1, 5).unwrap();
    let bad = dir.path().join("days.xlsx");
    book.save(&bad).unwrap();
    for choice in ["Day 2", "2", "day 2"] {
        let options = Options {
            sheet: Some(choice.into()),
            ..Options::default()
        };
        let err = import_file(&bad, &options).unwrap_err();
        assert_eq!(
            problems(&err),
            [
                (
                    4,
                    "'Day 2'!B4: duration: \"an hour\" is not a length: write 8, 8m or 0:08:00"
                        .to_owned()
                ),
                (
                    5,
                    "'Day 2'!A5: the title is empty: give the programme's wording".to_owned()
                ),
            ],
            "{err}"
        );
        assert!(
            err.to_string()
                .contains(&format!("{}:4: 'Day 2'!B4: duration", bad.display()))
        );
    }
    let options = Options {
        sheet: Some("Day 3".into()),
        ..Options::default()
    };
    let err = import_file(&bad, &options).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("--sheet \"Day 3\": no such sheet; the sheets are \"Notes\", \"Day 2\""),
        "{err}"
    );
}

/// An OpenDocument spreadsheet (LibreOffice, Google Sheets' .ods download), zipped here from the
/// published format: Spanish headers, a time cell for the start and for a length, a float, a
/// repeated empty row.
#[test]
fn issue_15_an_ods_spreadsheet_imports_with_spanish_headers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("programa.ods");
    let text = |t: &str| {
        format!(
            r#"<table:table-cell office:value-type="string"><text:p>{t}</text:p></table:table-cell>"#
        )
    };
    let time = |iso: &str, shown: &str| {
        format!(
            r#"<table:table-cell office:value-type="time" office:time-value="{iso}"><text:p>{shown}</text:p></table:table-cell>"#
        )
    };
    let float = |v: &str| {
        format!(
            r#"<table:table-cell office:value-type="float" office:value="{v}"><text:p>{v}</text:p></table:table-cell>"#
        )
    };
    let empty = "<table:table-cell/>".to_owned();
    let row = |cells: &[String]| format!("<table:table-row>{}</table:table-row>", cells.concat());
    let rows = [
        row(&[text("Hora"), text("Título"), text("Ponente"), text("Duración (minutos)"), text("Sala")]),
        row(&[time("PT09H30M00S", "09:30"), text("Apertura"), text("Organizadores"), float("10"), text("B")]),
        row(&[empty.clone(), text("Migración laboral"), text("Ana Pérez"), time("PT00H25M00S", "00:25:00"), empty.clone()]),
        r#"<table:table-row table:number-rows-repeated="2"><table:table-cell table:number-columns-repeated="5"/></table:table-row>"#.to_owned(),
        row(&[empty.clone(), text("Preguntas y respuestas"), empty.clone(), float("20"), empty.clone()]),
        row(&[empty.clone(), text("Clausura"), empty.clone(), float("5"), empty.clone()]),
    ];
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="Programa">{}</table:table></office:spreadsheet></office:body></office:document-content>"#,
        rows.concat()
    );
    let manifest = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, body) in [
        ("mimetype", "application/vnd.oasis.opendocument.spreadsheet"),
        ("META-INF/manifest.xml", manifest),
        ("content.xml", content.as_str()),
    ] {
        zip.start_file(name, stored).unwrap();
        std::io::Write::write_all(&mut zip, body.as_bytes()).unwrap();
    }
    zip.finish().unwrap();

    let (show, warnings) = imported_warned(&path, &Options::default());
    assert_eq!(
        outline(&show),
        [
            (
                "Apertura".into(),
                Some("Organizadores".into()),
                "intro",
                600
            ),
            (
                "Migración laboral".into(),
                Some("Ana Pérez".into()),
                "talk",
                1500
            ),
            ("Preguntas y respuestas".into(), None, "qa", 1200),
            ("Clausura".into(), None, "closing", 300),
        ]
    );
    assert_eq!(
        show.segments[0].at.map(|t| t.to_string()),
        Some("09:30:00".into())
    );
    assert_eq!(
        warnings,
        [format!(
            "{}:1: column \"Sala\" (Programa!E1) ignored: {READS}",
            path.display()
        )]
    );
}

// ---- Conference schedules (issue 15): pretalx and frab exports ----

use chrono::{DateTime, FixedOffset};
use podium::import::{Named, import_all};
use podium::show::{Kind, Timetable};

/// A talk as the schedule file says it, read here with the format's own parser (serde_json,
/// roxmltree), apart from the importer: (day, room) → (title, start, minutes, speakers).
type Expected = Vec<(
    (usize, String),
    (String, DateTime<FixedOffset>, u64, String),
)>;

fn minutes(hh_mm: &str) -> u64 {
    let (h, m) = hh_mm.split_once(':').unwrap();
    h.parse::<u64>().unwrap() * 60 + m.parse::<u64>().unwrap()
}

fn expected_json(file: &str) -> Expected {
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    let mut out = Vec::new();
    for day in doc["schedule"]["conference"]["days"].as_array().unwrap() {
        let index = day["index"].as_u64().unwrap() as usize;
        for (room, events) in day["rooms"].as_object().unwrap() {
            for e in events.as_array().unwrap() {
                let speakers: Vec<&str> = e["persons"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p["public_name"].as_str().unwrap())
                    .collect();
                out.push((
                    (index, room.clone()),
                    (
                        e["title"].as_str().unwrap().to_owned(),
                        DateTime::parse_from_rfc3339(e["date"].as_str().unwrap()).unwrap(),
                        minutes(e["duration"].as_str().unwrap()),
                        speakers.join(", "),
                    ),
                ));
            }
        }
    }
    out
}

fn expected_xml(file: &str) -> Expected {
    let text = std::fs::read_to_string(file).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let field = |n: roxmltree::Node, name: &str| {
        n.children()
            .find(|c| c.has_tag_name(name))
            .and_then(|c| c.text())
            .unwrap_or_default()
            .to_owned()
    };
    let mut out = Vec::new();
    for day in doc
        .root_element()
        .children()
        .filter(|c| c.has_tag_name("day"))
    {
        let index: usize = day.attribute("index").unwrap().parse().unwrap();
        for room in day.children().filter(|c| c.has_tag_name("room")) {
            for e in room.children().filter(|c| c.has_tag_name("event")) {
                let speakers: Vec<&str> = e
                    .descendants()
                    .filter(|c| c.has_tag_name("person"))
                    .map(|p| p.text().unwrap())
                    .collect();
                out.push((
                    (index, room.attribute("name").unwrap().to_owned()),
                    (
                        field(e, "title"),
                        DateTime::parse_from_rfc3339(&field(e, "date")).unwrap(),
                        minutes(&field(e, "duration")),
                        speakers.join(", "),
                    ),
                ));
            }
        }
    }
    out
}

/// Every session loads with the real loader and its timetable puts every talk at the schedule's
/// wall-clock time in the schedule's zone, with breaks filling the gaps, each anchor on time and
/// the slot filled exactly. Returns the loaded sessions by (day, room).
fn check_schedule(file: &str, expected: &Expected, zone: &str) -> Vec<((usize, String), Show)> {
    let sessions: Vec<Named> =
        import_all(Path::new(file), &Options::default()).unwrap_or_else(|e| panic!("{e}"));
    let rooms_with_talks: std::collections::BTreeSet<&(usize, String)> =
        expected.iter().map(|(k, _)| k).collect();
    assert_eq!(
        sessions.len(),
        rooms_with_talks.len(),
        "one session per room and day"
    );
    let mut loaded = Vec::new();
    for named in sessions {
        let key = (named.day.unwrap().0, named.room.clone().unwrap());
        let show = load_str(Path::new(&named.file_name), &named.session.text)
            .unwrap_or_else(|e| panic!("{e}\n{}", named.session.text));
        assert_eq!(show.timezone.name(), zone);
        let plan = Timetable::new(&show, None);
        assert!(plan.warnings().is_empty(), "{:?}", plan.warnings());
        assert_eq!(
            plan.slack_secs(),
            Some(0),
            "the slot ends with the last talk"
        );
        let mut want: Vec<(String, String, u64, String)> = expected
            .iter()
            .filter(|(k, _)| *k == key)
            .map(|(_, (title, at, mins, speakers))| {
                (
                    title.clone(),
                    at.with_timezone(&show.timezone)
                        .format("%Y-%m-%d %H:%M")
                        .to_string(),
                    *mins,
                    speakers.clone(),
                )
            })
            .collect();
        want.sort_by(|a, b| a.1.cmp(&b.1));
        let got: Vec<(String, String, u64, String)> = plan
            .rows
            .iter()
            .map(|row| (&show.segments[row.index], row))
            .filter(|(seg, _)| !(seg.kind == Kind::Break && seg.title == "Break"))
            .map(|(seg, row)| {
                (
                    seg.title.clone(),
                    row.start
                        .unwrap()
                        .with_timezone(&show.timezone)
                        .format("%Y-%m-%d %H:%M")
                        .to_string(),
                    seg.duration.as_secs() / 60,
                    seg.speaker.clone().unwrap_or_default(),
                )
            })
            .collect();
        assert_eq!(got, want, "{key:?}");
        loaded.push((key, show));
    }
    loaded
}

fn session<'a>(loaded: &'a [((usize, String), Show)], day: usize, room: &str) -> &'a Show {
    &loaded
        .iter()
        .find(|((d, r), _)| *d == day && r == room)
        .unwrap_or_else(|| panic!("no session for day {day}, {room}"))
        .1
}

#[test]
fn issue_15_a_pretalx_schedule_json_gives_a_session_per_room_and_day_at_its_times() {
    let file = "tests/agendas/schedule_pretalx.json";
    let loaded = check_schedule(file, &expected_json(file), "Europe/Zurich");
    // Two days, two rooms with talks (the press room has none).
    assert_eq!(loaded.len(), 4);
    let plenary = session(&loaded, 1, "Salle des Assemblées");
    assert_eq!(
        plenary.title,
        "Future of Work Forum 2026 — Salle des Assemblées — 2026-06-10"
    );
    let panel = plenary
        .segments
        .iter()
        .find(|s| s.title == "Social protection for all — who pays?")
        .unwrap();
    assert_eq!(
        panel.speaker.as_deref(),
        Some("José Ñúñez, Nguyễn Thị Lan, Małgorzata Wiśniewska")
    );
    assert_eq!(panel.kind, Kind::Qa, "a Panel is a moderated discussion");
    assert!(
        panel
            .notes
            .as_deref()
            .unwrap()
            .starts_with("Financing floors in middle-income countries"),
        "the subtitle leads the notes"
    );
    let kinds: Vec<(&str, Kind)> = plenary
        .segments
        .iter()
        .map(|s| (s.title.as_str(), s.kind))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("Opening of the Forum", Kind::Intro),
            ("Keynote: Decent work in the platform economy", Kind::Talk),
            ("Social protection for all — who pays?", Kind::Qa),
            ("Break", Kind::Break),
            ("Skills for a just transition", Kind::Talk),
            ("Questions to the morning's speakers", Kind::Qa),
        ]
    );
    let closing = session(&loaded, 2, "Salle des Assemblées");
    assert_eq!(closing.segments.last().unwrap().kind, Kind::Closing);
    let french = session(&loaded, 2, "Room XXVII");
    assert_eq!(french.segments[0].kind, Kind::Qa, "a table ronde");
}

#[test]
fn issue_15_a_frab_schedule_xml_keeps_its_times_past_midnight_and_across_the_clock_change() {
    let file = "tests/agendas/schedule_frab.xml";
    let loaded = check_schedule(file, &expected_xml(file), "Europe/Berlin");
    assert_eq!(loaded.len(), 4);
    let saal = session(&loaded, 1, "Saal Grün");
    let podium_talk = saal
        .segments
        .iter()
        .find(|s| s.title == "Überwachung im Nahverkehr")
        .unwrap();
    assert_eq!(
        podium_talk.speaker.as_deref(),
        Some("Ayşe Yılmaz, Jöran Müller, Sören Kühn")
    );
    assert_eq!(podium_talk.kind, Kind::Qa, "frab's type podium is a panel");
    assert_eq!(saal.segments[0].kind, Kind::Intro, "Eröffnung");
    // The night's concert runs past midnight; the night café starts after it, on the next date
    // (day 1 of the schedule still): timed by the break before it, with no anchor, since an
    // `at` names a time on the session's first date.
    let night = saal.segments.last().unwrap();
    assert_eq!(night.title, "Nachtprogramm: Chiptunes live");
    assert_eq!(night.at.map(|t| t.to_string()).as_deref(), Some("23:30:00"));
    let cafe = session(&loaded, 1, "Raum Ü3").segments.last().unwrap();
    assert_eq!(cafe.title, "Nachtcafé: Hacken bis zum Morgen");
    assert_eq!(cafe.at, None);
    // Day 2 is after the clocks went back (CEST → CET): its times are still the schedule's.
    let day2 = session(&loaded, 2, "Saal Grün");
    assert_eq!(
        day2.start.unwrap().to_rfc3339(),
        "2026-10-25T10:00:00+00:00",
        "11:00 CET"
    );
    assert_eq!(
        day2.segments.last().unwrap().kind,
        Kind::Closing,
        "Abschluss"
    );
    let breakfast = session(&loaded, 2, "Raum Ü3");
    assert_eq!(breakfast.segments[0].kind, Kind::Qa, "Frühstücks-Q&A");
}

#[test]
fn issue_15_every_bad_event_of_a_schedule_is_named_at_its_line() {
    let err = import_file(
        Path::new("tests/agendas/schedule_errors.json"),
        &Options::default(),
    )
    .unwrap_err();
    let found = problems(&err);
    let lines: Vec<usize> = found.iter().map(|p| p.0).collect();
    assert_eq!(lines, vec![25, 27, 29, 31], "{err}");
    assert!(
        found[0].1.contains(
            "\"Two talks in one slot\" starts at 10:15, before \"Welcome\" (line 23) ends at 10:30"
        ),
        "{err}"
    );
    assert!(
        found[1]
            .1
            .contains("duration \"0:75\" is not a length: write hours and minutes, like \"00:30\""),
        "{err}"
    );
    assert!(
        found[2].1.contains("duration \"30\" is not a length"),
        "{err}"
    );
    assert!(
        found[3]
            .1
            .contains("date \"tomorrow morning\" is not a date and time"),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("tests/agendas/schedule_errors.json:25: "),
        "{err}"
    );
}

#[test]
fn issue_15_malformed_json_and_xml_are_named_at_their_line_and_column() {
    let err = import_file(
        Path::new("tests/agendas/schedule_broken.xml"),
        &Options::default(),
    )
    .unwrap_err();
    assert!(
        matches!(err, ImportError::Syntax { line: 22, .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().starts_with(
            "tests/agendas/schedule_broken.xml:22:36: expected 'title' tag, not 'titel': the file is not well-formed XML"
        ),
        "{err}"
    );
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("schedule.json");
    std::fs::write(
        &json,
        "{\n  \"schedule\": {\n    \"conference\": {\n      \"title\": \"X\",\n    }\n  }\n}\n",
    )
    .unwrap();
    let err = import_file(&json, &Options::default()).unwrap_err();
    assert!(
        matches!(
            err,
            ImportError::Syntax {
                line: 5,
                col: 5,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("trailing comma"), "{err}");
    assert!(err.to_string().contains("not valid JSON"), "{err}");
    // A DTD (entity expansion) is refused before anything is expanded.
    let xml = dir.path().join("schedule.xml");
    std::fs::write(
        &xml,
        "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\">]>\n<schedule/>\n",
    )
    .unwrap();
    let err = import_file(&xml, &Options::default()).unwrap_err();
    assert!(err.to_string().contains("needs no DTD"), "{err}");
    // Not a schedule at all.
    std::fs::write(&json, "{\"segments\": []}").unwrap();
    let err = import_file(&json, &Options::default()).unwrap_err();
    assert!(err.to_string().contains("no schedule.conference"), "{err}");
}

#[test]
fn issue_15_a_schedule_is_told_by_its_content_and_its_size_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    // A download saved without an extension.
    let saved = dir.path().join("export");
    std::fs::copy("tests/agendas/schedule_frab.xml", &saved).unwrap();
    let options = Options {
        day: Some(2),
        room: Some("raum ü3".into()),
        ..Options::default()
    };
    let one = import_file(&saved, &options).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        one.text
            .contains("title = \"Hackwerk 2026 — Raum Ü3 — 2026-10-25\""),
        "{}",
        one.text
    );
    // Several sessions and no choice: the refusal lists how to choose each.
    let err = import_file(&saved, &Options::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("the schedule holds 4 sessions"), "{err}");
    assert!(err.contains("--day 1 --room \"Saal Grün\""), "{err}");
    let err = import_file(
        &saved,
        &Options {
            room: Some("Saal Blau".into()),
            ..Options::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("no session of the schedule is on any day in room \"Saal Blau\""),
        "{err}"
    );
    // Hostile sizes are refused before they are parsed.
    let huge = dir.path().join("huge.json");
    let file = std::fs::File::create(&huge).unwrap();
    file.set_len(33 * 1024 * 1024).unwrap();
    let err = import_file(&huge, &Options::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("larger than 32 MiB"), "{err}");
}

/// A workbook is bounded like any input: a sheet that spans more cells than any agenda (here two
/// cells of a 6 KB file, at A1 and XFD1048576, for which calamine asked 512 GiB and the import
/// aborted) is refused with its span, and a file over 32 MiB is not read.
#[test]
fn a_workbook_spanning_a_whole_sheet_is_refused_not_allocated() {
    use rust_xlsxwriter::Workbook;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stray.xlsx");
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (col, text) in ["Title", "Duration"].into_iter().enumerate() {
        sheet.write_string(0, col as u16, text).unwrap();
    }
    sheet.write_string(1, 0, "Welcome").unwrap();
    sheet.write_string(1, 1, "5m").unwrap();
    sheet.write_string(1_048_575, 16_383, "stray").unwrap();
    book.save(&path).unwrap();
    let err = import_file(&path, &Options::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(&format!(
            "{}: sheet \"Sheet1\" spans A1:XFD1048576",
            path.display()
        )),
        "{err}"
    );
    let huge = dir.path().join("huge.xlsx");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(33 * 1024 * 1024)
        .unwrap();
    let err = import_file(&huge, &Options::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("larger than 32 MiB"), "{err}");
}

/// An .ods says how often a row or a cell repeats: one valued cell repeated over 5,000 rows and
/// 10,000 columns (a file of 834 bytes) took calamine 44 s and 9 GB before it gave up; it is
/// refused before calamine reads it, and a sheet as LibreOffice writes it (empty rows repeated to
/// the sheet's end) still imports.
#[test]
fn an_ods_repeating_a_cell_millions_of_times_is_refused_not_expanded() {
    let dir = tempfile::tempdir().unwrap();
    let cell = |t: &str, repeat: u32| {
        format!(
            r#"<table:table-cell table:number-columns-repeated="{repeat}" office:value-type="string"><text:p>{t}</text:p></table:table-cell>"#
        )
    };
    let manifest = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;
    let ods = |name: &str, rows: &str| {
        let path = dir.path().join(name);
        let content = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="Programa"><table:table-row>{}{}</table:table-row><table:table-row>{}{}</table:table-row>{rows}</table:table></office:spreadsheet></office:body></office:document-content>"#,
            cell("Title", 1),
            cell("Duration", 1),
            cell("Welcome", 1),
            cell("5m", 1)
        );
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for (name, body) in [
            ("mimetype", "application/vnd.oasis.opendocument.spreadsheet"),
            ("META-INF/manifest.xml", manifest),
            ("content.xml", content.as_str()),
        ] {
            zip.start_file(name, options).unwrap();
            std::io::Write::write_all(&mut zip, body.as_bytes()).unwrap();
        }
        zip.finish().unwrap();
        path
    };
    let bomb = ods(
        "bomb.ods",
        &format!(
            r#"<table:table-row table:number-rows-repeated="5000">{}</table:table-row>"#,
            cell("x", 10_000)
        ),
    );
    let err = import_file(&bomb, &Options::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(&format!("{}: sheet \"Programa\" spans A1:", bomb.display())),
        "{err}"
    );
    let fine = ods(
        "fine.ods",
        r#"<table:table-row table:number-rows-repeated="1048574"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>"#,
    );
    let session = import_file(&fine, &Options::default()).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        session.text.contains("title = \"Welcome\""),
        "{}",
        session.text
    );
}

/// A workbook that unzips to more than podium reads (here 800 KB of shared strings that unzip to
/// 70 MB; 340 MB took 46 s and 1.1 GB) is refused before calamine reads its parts.
#[test]
fn a_workbook_that_unzips_to_hundreds_of_megabytes_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("strings.xlsx");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("xl/workbook.xml", deflated).unwrap();
    std::io::Write::write_all(&mut zip, b"<workbook/>").unwrap();
    zip.start_file("xl/sharedStrings.xml", deflated).unwrap();
    std::io::Write::write_all(&mut zip, b"<sst>").unwrap();
    let strings = "<si><t>x</t></si>".repeat(1 << 16);
    for _ in 0..64 {
        std::io::Write::write_all(&mut zip, strings.as_bytes()).unwrap();
    }
    std::io::Write::write_all(&mut zip, b"</sst>").unwrap();
    zip.finish().unwrap();
    let err = import_file(&path, &Options::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(&format!(
            "{}: the workbook unzips to 68 MiB, more than the 64 MiB podium reads",
            path.display()
        )),
        "{err}"
    );
}

/// An XML element with a million attributes (a file of 12 MB) kept `podium import` busy for over
/// half an hour (roxmltree compares each attribute with the element's others); it is refused at
/// once, at its line and column.
#[test]
fn an_xml_element_with_a_million_attributes_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("schedule.xml");
    let attributes: Vec<String> = (0..1_000_000).map(|i| format!("x{i}=\"1\"")).collect();
    std::fs::write(
        &path,
        format!("<schedule>\n  <a {}/></schedule>", attributes.join(" ")),
    )
    .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let file = path.clone();
    std::thread::spawn(move || {
        let _ = tx.send(import_file(&file, &Options::default()).map(|_| ()));
    });
    let err = rx
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("an answer within 20 s")
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        format!(
            "{}:2:3: an element with more than 1000 attributes: this is far larger than any \
             conference",
            path.display()
        )
    );
}

/// A session holds at most 1000 segments: a CSV of 1,500,000 rows (21 MB, within the input's
/// bound) was written out as one session, after 18 s and 4 GB.
#[test]
fn an_import_of_more_segments_than_a_day_holds_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.csv");
    let rows: String = (0..1001).map(|i| format!("Talk {i},5\n")).collect();
    std::fs::write(&path, format!("title,duration\n{rows}")).unwrap();
    let err = import_file(&path, &Options::default())
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        format!(
            "{}: 1001 segments, more than the 1000 podium imports into one session (one room's \
             day): is it the right file?",
            path.display()
        )
    );
    let rows: String = (0..1000).map(|i| format!("Talk {i},5\n")).collect();
    std::fs::write(&path, format!("title,duration\n{rows}")).unwrap();
    import_file(&path, &Options::default()).unwrap_or_else(|e| panic!("{e}"));
}

/// The refused lines are listed up to a bound (a schedule of 150,000 clashing events printed
/// 24 MB of them), then counted.
#[test]
fn the_refused_lines_listed_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.csv");
    let rows: String = (0..500).map(|i| format!("Talk {i},an hour\n")).collect();
    std::fs::write(&path, format!("title,duration\n{rows}")).unwrap();
    let err = import_file(&path, &Options::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("500 lines cannot be imported"), "{err}");
    assert!(err.ends_with("… and 450 more lines not listed"), "{err}");
    assert_eq!(err.lines().count(), 52, "{err}");
}

#[test]
fn issue_15_the_binary_writes_one_file_per_room_and_day_into_out_dir() {
    let podium = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_podium"))
            .args(args)
            .output()
            .expect("podium runs")
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("forum");
    let out_arg = out.to_str().unwrap();
    let file = "tests/agendas/schedule_pretalx.json";
    let first = podium(&["import", file, "--out-dir", out_arg]);
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(first.status.success(), "{stderr}");
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "fowf2026-day1-room-xxvii.toml",
            "fowf2026-day1-salle-des-assemblées.toml",
            "fowf2026-day2-room-xxvii.toml",
            "fowf2026-day2-salle-des-assemblées.toml",
            "fowf2026-event.toml",
        ]
    );
    // The event names the four sessions, one room each (issue 12), and checks.
    let event = podium(&["check", out.join("fowf2026-event.toml").to_str().unwrap()]);
    assert_eq!(
        String::from_utf8_lossy(&event.stdout),
        format!(
            "ok  {}: event of 4 rooms (day1-salle-des-assemblees, day1-room-xxvii, day2-salle-des-assemblees, day2-room-xxvii), 14 segments\n",
            out.join("fowf2026-event.toml").display()
        ),
        "{}",
        String::from_utf8_lossy(&event.stderr)
    );
    // It says what it wrote.
    for name in &names {
        assert!(
            stderr.contains(&format!("podium: wrote {}", out.join(name).display())),
            "{stderr}"
        );
    }
    assert!(
        stderr.contains("day 1, 2026-06-10, Salle des Assemblées: 5 talks, 09:00–12:30"),
        "{stderr}"
    );
    // `podium plan` shows the schedule's times.
    let plan = podium(&[
        "plan",
        out.join("fowf2026-day1-salle-des-assemblées.toml")
            .to_str()
            .unwrap(),
    ]);
    let text = String::from_utf8_lossy(&plan.stdout);
    assert!(
        plan.status.success(),
        "{}",
        String::from_utf8_lossy(&plan.stderr)
    );
    for times in [
        "09:00–09:15",
        "10:00–11:00",
        "11:00–11:30",
        "11:30–12:00",
        "12:00–12:30",
    ] {
        assert!(text.contains(times), "{times} in\n{text}");
    }
    assert!(text.contains("fits exactly"), "{text}");
    // Again: nothing is overwritten, and nothing written.
    let before = std::fs::read_to_string(out.join(&names[0])).unwrap();
    std::fs::write(out.join(&names[0]), "# edited by hand\n").unwrap();
    let again = podium(&["import", file, "--out-dir", out_arg]);
    assert_eq!(again.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(
        stderr.contains("5 of the files to write already exist; nothing was written"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(out.join(&names[0])).unwrap(),
        "# edited by hand\n"
    );
    // --force overwrites.
    let forced = podium(&["import", file, "--out-dir", out_arg, "--force"]);
    assert!(
        forced.status.success(),
        "{}",
        String::from_utf8_lossy(&forced.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(out.join(&names[0])).unwrap(),
        before
    );
    // One session to standard output with --day and --room.
    let one = podium(&["import", file, "--day", "2", "--room", "Room XXVII"]);
    assert!(one.status.success());
    let toml = String::from_utf8_lossy(&one.stdout);
    assert!(
        toml.contains("speaker = \"Aïcha Diallo, Jean-Baptiste Kaboré\""),
        "{toml}"
    );
    // Without a choice: exit 2 and how to choose.
    let none = podium(&["import", file]);
    assert_eq!(none.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&none.stderr).contains("--out-dir DIR"));
    // The error file names its lines.
    let bad = podium(&[
        "import",
        "tests/agendas/schedule_errors.json",
        "--out-dir",
        out_arg,
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("schedule_errors.json:27: "));
}
