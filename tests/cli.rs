//! The `podium` binary as a user runs it: exit codes, `check` and `plan` output, a headless `run`
//! that shuts down cleanly on SIGTERM and SIGINT, alerts without a notification service.

use crate::common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{Client, Process, TOKEN};
use nix::sys::signal::Signal;

fn podium(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_podium"))
        .args(args)
        .output()
        .expect("podium runs")
}

#[test]
fn check_accepts_the_bundled_sessions() {
    let files: Vec<String> = std::fs::read_dir("sessions")
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .collect();
    let mut args = vec!["check"];
    args.extend(files.iter().map(String::as_str));
    let out = podium(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), files.len());
    assert!(
        stdout.contains("002_iml_session_four.toml: 6 segments, 1:36:00"),
        "{stdout}"
    );
}

#[test]
fn check_refuses_a_broken_file_with_exit_status_2_and_its_position() {
    let out = podium(&[
        "check",
        "sessions/002_iml_session_four.toml",
        "tests/fixtures/max_below_duration.toml",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("tests/fixtures/max_below_duration.toml:6:7: max (15:00) is shorter than duration (20:00)"),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("002_iml_session_four.toml"));
}

#[test]
fn run_refuses_a_broken_file_with_exit_status_2() {
    let out = podium(&[
        "run",
        "tests/fixtures/bad_zone.toml",
        "--bind",
        "127.0.0.1:0",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad_zone.toml:3:12"));
}

#[test]
fn plan_shows_every_zone_asked_for() {
    let out = podium(&[
        "plan",
        "sessions/000_ilo_roundtable_irregular_migration.toml",
        "--tz",
        "America/Toronto",
        "--tz",
        "Africa/Casablanca",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    // 15:00 CET is 09:00 in Toronto (EST) and 15:00 in Casablanca (+01) on 21 Nov 2022.
    let first = text
        .lines()
        .find(|l| l.trim_start().starts_with("1 "))
        .expect("a first row");
    assert!(
        first.contains("15:00–15:05") && first.contains("09:00–09:05"),
        "{text}"
    );
    assert!(text.contains("ends 17:00 CET"), "{text}");
    let bad = podium(&[
        "plan",
        "sessions/002_iml_session_four.toml",
        "--tz",
        "Mars/Olympus",
    ]);
    assert_eq!(bad.status.code(), Some(2));
}

/// The organiser's timetable in two zones fits 80 columns (the title line apart, which is prose):
/// it was 95 columns wide, so every row wrapped in the terminal most people have. Without a start
/// the table fits too (it was 85).
#[test]
fn plan_in_two_zones_fits_80_columns() {
    use unicode_width::UnicodeWidthStr;
    for args in [
        &[
            "plan",
            "sessions/000_ilo_roundtable_irregular_migration.toml",
            "--tz",
            "America/Toronto",
        ][..],
        &["plan", "sessions/002_iml_session_four.toml"][..],
    ] {
        let out = podium(args);
        assert!(out.status.success(), "{args:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        for line in text.lines().skip(1) {
            assert!(
                line.width() <= 80,
                "{} columns: {line:?}\n{text}",
                line.width()
            );
        }
        assert!(
            text.contains("Expert panel") || text.contains("ILO standards"),
            "{text}"
        );
    }
}

#[test]
fn plan_without_a_start_counts_from_zero_and_takes_one_on_the_command_line() {
    let out = podium(&["plan", "sessions/002_iml_session_four.toml"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("+0:00–+8:00"), "{text}");
    let out = podium(&[
        "plan",
        "sessions/002_iml_session_four.toml",
        "--start",
        "2021-06-10T14:00",
        "--tz",
        "Asia/Manila",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    // Geneva 14:00 (CEST) is 20:00 in Manila; 96 minutes later it ends at 15:36.
    assert!(
        text.contains("14:00–14:08") && text.contains("20:00–20:08"),
        "{text}"
    );
    assert!(text.contains("ends 15:36"), "{text}");
}

async fn exits_cleanly_on(signal: Signal) {
    let mut proc = Process::start(&["run", "tests/sessions/short.toml"]).await;
    let mut viewer = Client::connect(&proc.ws_url()).await;
    viewer.next_of("state").await;
    proc.signal(signal);
    let sent = Instant::now();
    let bye = viewer.next_of("bye").await;
    assert_eq!(bye["reason"], "server shutting down");
    let status = tokio::time::timeout(Duration::from_secs(3), proc.child.wait())
        .await
        .expect("exits within seconds")
        .expect("exit status");
    assert_eq!(status.code(), Some(0), "{signal} is a clean shutdown");
    assert!(sent.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn sigterm_shuts_down_cleanly() {
    exits_cleanly_on(Signal::SIGTERM).await;
}

#[tokio::test]
async fn sigint_shuts_down_cleanly() {
    exits_cleanly_on(Signal::SIGINT).await;
}

#[tokio::test]
async fn headless_run_is_controlled_over_http() {
    let proc = Process::start(&["run", "tests/sessions/short.toml", "--speed", "60"]).await;
    let resp = reqwest::Client::new()
        .post(format!("{}/api/command", proc.base))
        .bearer_auth(TOKEN)
        .body(r#"{"cmd":"start"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let mut viewer = Client::connect(&proc.ws_url()).await;
    viewer.state_where(|s| s["phase"] == "warning").await;
}

/// With no notification service, the first alert is logged once and the show goes on.
#[tokio::test]
async fn alerts_without_a_notification_service_are_logged_once() {
    use tokio::io::AsyncBufReadExt;
    let mut proc = Process::spawn(
        &["run", "tests/sessions/short.toml", "--speed", "60"],
        &[(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/podium-test-bus",
        )],
    )
    .await;
    let mut stderr = tokio::io::BufReader::new(proc.child.stderr.take().unwrap()).lines();
    reqwest::Client::new()
        .post(format!("{}/api/command", proc.base))
        .bearer_auth(TOKEN)
        .body(r#"{"cmd":"start"}"#)
        .send()
        .await
        .unwrap();
    let mut viewer = Client::connect(&proc.ws_url()).await;
    viewer.state_where(|s| s["phase"] == "over-max").await;
    // Alerts are logged by their own task: wait for the last one before stopping the show.
    let mut log = String::new();
    while !log.contains("Past the") {
        let line = tokio::time::timeout(Duration::from_secs(10), stderr.next_line())
            .await
            .unwrap_or_else(|_| panic!("the over-max alert is logged; so far:\n{log}"))
            .expect("stderr readable")
            .expect("podium still running");
        log.push_str(&line);
        log.push('\n');
    }
    proc.signal(Signal::SIGTERM);
    while let Ok(Ok(Some(line))) =
        tokio::time::timeout(Duration::from_secs(5), stderr.next_line()).await
    {
        log.push_str(&line);
        log.push('\n');
    }
    assert_eq!(
        log.matches("desktop notifications unavailable").count(),
        1,
        "{log}"
    );
    assert!(log.contains("Time is up"), "{log}");
    assert!(log.contains("Past the 3:00 hard limit"), "{log}");
    let status = proc.child.wait().await.unwrap();
    assert_eq!(status.code(), Some(0));
}

#[test]
fn check_warns_about_an_overrun_and_a_missed_anchor_but_exits_0() {
    let out = podium(&["check", "tests/sessions/late_plan.toml"]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "late_plan.toml: warning: the plan runs 20:00 past the end of the slot (16:00 CET)"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("even with every segment at its `min` it is 10:00 too long"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "segment 2 (\"Panel\") is anchored at 15:05 but the plan reaches it 5:00 later"
        ),
        "{stderr}"
    );
}

#[test]
fn plan_writes_ics_json_and_csv_and_refuses_ics_without_a_start() {
    let ics = podium(&[
        "plan",
        "sessions/000_ilo_roundtable_irregular_migration.toml",
        "--format",
        "ics",
    ]);
    assert!(ics.status.success());
    let text = String::from_utf8_lossy(&ics.stdout);
    assert_eq!(text.matches("BEGIN:VEVENT").count(), 10);
    assert!(text.contains("DTSTART:20221121T140000Z"), "{text}");
    let json = podium(&[
        "plan",
        "sessions/004_labour_mobility_day1.toml",
        "--format",
        "json",
    ]);
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(value["fits"], true);
    let csv = podium(&[
        "plan",
        "sessions/002_iml_session_four.toml",
        "--format",
        "csv",
    ]);
    assert!(String::from_utf8_lossy(&csv.stdout).starts_with("index,title,speaker,kind"));
    let no_start = podium(&[
        "plan",
        "sessions/002_iml_session_four.toml",
        "--format",
        "ics",
    ]);
    assert_eq!(no_start.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_start.stderr).contains("needs a start time"));
}

/// Issue 10: `podium plan … | head -1` panicked (exit 101) once the reader had gone. The pipe's
/// reading end is closed before podium starts, so every write meets a closed pipe.
#[test]
fn a_closed_stdout_ends_plan_check_and_import_quietly() {
    let commands: [&[&str]; 4] = [
        &["plan", "sessions/002_iml_session_four.toml"],
        &[
            "plan",
            "sessions/002_iml_session_four.toml",
            "--format",
            "csv",
        ],
        &["check", "sessions/002_iml_session_four.toml"],
        &["import", "tests/agendas/002_iml_session_four.txt"],
    ];
    for args in commands {
        let (reader, writer) = std::io::pipe().expect("a pipe");
        drop(reader);
        let out = Command::new(env!("CARGO_BIN_EXE_podium"))
            .args(args)
            .stdout(writer)
            .output()
            .expect("podium runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(stderr.is_empty(), "{args:?} ends quietly: {stderr}");
    }
}

/// `report` too, on the journal of a short headless run.
#[tokio::test]
async fn a_closed_stdout_ends_report_quietly() {
    let mut proc = Process::start(&["run", "tests/sessions/short.toml", "--speed", "60"]).await;
    let journal = proc
        .journal_dir
        .as_ref()
        .expect("a journal in a temporary directory")
        .path()
        .join("run.jsonl");
    proc.signal(Signal::SIGTERM);
    let status = tokio::time::timeout(Duration::from_secs(30), proc.child.wait())
        .await
        .expect("podium stops")
        .expect("exit status");
    assert!(status.success());
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let out = Command::new(env!("CARGO_BIN_EXE_podium"))
        .arg("report")
        .arg(&journal)
        .stdout(writer)
        .output()
        .expect("podium runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}

/// Issue 10: "Address already in use (os error 98): Address already in use (os error 98)".
#[test]
fn a_taken_port_is_reported_once() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("run.jsonl");
    let out = podium(&[
        "run",
        "tests/sessions/short.toml",
        "--bind",
        &addr,
        "--no-notify",
        "--journal",
        journal.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("cannot listen on {addr}")),
        "{stderr}"
    );
    assert_eq!(stderr.matches("os error").count(), 1, "{stderr}");
}

/// Issue 10: `--bind localhost:8080` and `--bind 8080` said "invalid socket address syntax".
#[tokio::test]
async fn bind_takes_localhost_and_a_bare_port() {
    let proc = Process::start(&["run", "tests/sessions/short.toml", "--bind", "localhost:0"]).await;
    assert!(proc.base.starts_with("http://127.0.0.1:"), "{}", proc.base);
    let state = reqwest::get(format!("{}/api/state", proc.base))
        .await
        .expect("the server answers");
    assert_eq!(state.status(), 200);
    let bad = podium(&[
        "run",
        "tests/sessions/short.toml",
        "--bind",
        "localhost:http",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.contains("write ADDRESS:PORT"), "{stderr}");
}

/// Issue 10: `--tz EST` was a silent fixed UTC−5, an hour wrong for New York in summer.
#[test]
fn a_legacy_zone_abbreviation_is_accepted_with_a_warning() {
    let out = podium(&[
        "plan",
        "sessions/002_iml_session_four.toml",
        "--start",
        "2021-06-10T14:00",
        "--tz",
        "EST",
    ]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--tz: warning: time zone \"EST\" is a fixed UTC-05:00 all year"),
        "{stderr}"
    );
    assert!(stderr.contains("\"America/New_York\""), "{stderr}");
    // 14:00 in Geneva is 07:00 at a fixed UTC−5 (08:00 in New York, which is on summer time).
    assert!(String::from_utf8_lossy(&out.stdout).contains("07:00–07:08"));
}

/// Issue 10: "Manila" and "America/NewYork" got no suggestion; `import --timezone` reads zones
/// the same way.
#[test]
fn unknown_zones_suggest_the_nearest_names() {
    for (args, meant) in [
        (&["--tz", "Manila"][..], "Asia/Manila"),
        (&["--tz", "America/NewYork"][..], "America/New_York"),
        (&["--tz", "PST"][..], "America/Los_Angeles"),
    ] {
        let mut all = vec!["plan", "sessions/002_iml_session_four.toml"];
        all.extend(args);
        let out = podium(&all);
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!("\"{meant}\"")),
            "{args:?}: {stderr}"
        );
    }
    let out = podium(&[
        "import",
        "tests/agendas/002_iml_session_four.txt",
        "--timezone",
        "Manila",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("did you mean \"Asia/Manila\""), "{stderr}");
    let out = podium(&[
        "import",
        "tests/agendas/002_iml_session_four.txt",
        "--timezone",
        "EST",
    ]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--timezone: warning:"), "{stderr}");
}

/// A session file's `timezone` is read by the same rules: suggestions, and the legacy warning.
#[tokio::test]
async fn a_session_files_zone_gets_the_same_advice() {
    use tokio::io::AsyncBufReadExt;
    let dir = tempfile::tempdir().unwrap();
    let session = |zone: &str| {
        let text = std::fs::read_to_string("tests/sessions/short.toml")
            .unwrap()
            .replace("timezone = \"UTC\"", &format!("timezone = \"{zone}\""));
        let path = dir.path().join(format!("{}.toml", zone.replace('/', "_")));
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    let est = session("EST");
    let out = podium(&["check", &est]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: time zone \"EST\" is a fixed UTC-05:00 all year"),
        "{stderr}"
    );
    let mut run = Process::spawn(&["run", &est, "--no-notify"], &[]).await;
    let mut log = tokio::io::BufReader::new(run.child.stderr.take().unwrap()).lines();
    let mut said = String::new();
    while !said.contains("time zone \"EST\" is a fixed UTC-05:00") {
        let line = tokio::time::timeout(Duration::from_secs(30), log.next_line())
            .await
            .unwrap_or_else(|_| panic!("run warns about EST; so far:\n{said}"))
            .expect("stderr readable")
            .expect("podium still running");
        said.push_str(&line);
        said.push('\n');
    }
    let manila = session("Manila");
    let out = podium(&["check", &manila]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("did you mean \"Asia/Manila\"?"), "{stderr}");
}

/// Issue 10: Manila was labelled "PST", which readers take for Pacific time.
#[test]
fn an_ambiguous_abbreviation_is_printed_as_an_offset() {
    let out = podium(&[
        "plan",
        "sessions/002_iml_session_four.toml",
        "--start",
        "2021-06-10T14:00",
        "--tz",
        "Asia/Manila",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("starts Thu 10 Jun 2021 20:00 UTC+08:00 (Asia/Manila)"),
        "{text}"
    );
    assert!(text.contains("14:00 CEST (Europe/Zurich)"), "{text}");
    assert!(!text.contains("PST"), "{text}");
}

/// Runs podium with its stdout a pipe whose reader takes the first line and goes away (`podium …
/// | head -1`), and returns its exit status and stderr. A command that would keep printing forever
/// without noticing is killed after a minute (and the test fails).
fn stdout_closed_after_the_first_line(args: &[&str]) -> (Option<i32>, String) {
    use std::io::{BufRead, Read};
    let mut child = Command::new(env!("CARGO_BIN_EXE_podium"))
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("podium starts");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("a first line");
    assert!(!first.is_empty(), "{args:?} printed nothing");
    drop(stdout);
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{args:?} still running a minute after its reader left");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    (status.code(), errors.join().expect("stderr reader"))
}

/// Issue 11: `podium plan … --format ics | head -1`, and `podium follow … | head -1`, which
/// panicked (101) on its next line: a reader that leaves ends the command quietly with status 0.
#[test]
fn a_stdout_closed_after_the_first_line_ends_every_printing_command_quietly() {
    // A port nobody listens on: `follow` prints "connecting…", then "no connection…" and retries.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", free.local_addr().unwrap());
    drop(free);
    let commands: [&[&str]; 4] = [
        &[
            "plan",
            "sessions/002_iml_session_four.toml",
            "--format",
            "ics",
            "--start",
            "2021-06-10T14:00",
        ],
        &["plan", "sessions/004_labour_mobility_day1.toml"],
        &["import", "tests/agendas/002_iml_session_four.txt"],
        &["follow", &url],
    ];
    for args in commands {
        let (code, stderr) = stdout_closed_after_the_first_line(args);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
    }
}

/// `podium run SHORT ARGS` in `cwd` (so a default journal would go to `cwd/runs`), listening on
/// `port` unless ARGS say otherwise; stdin closed.
fn run_in(cwd: &std::path::Path, port: u16, args: &[&str]) -> std::process::Output {
    let show = std::fs::canonicalize(common::SHORT).expect("the test session");
    let bind = format!("127.0.0.1:{port}");
    let mut all = vec!["run", show.to_str().unwrap(), "--no-notify"];
    if !args.contains(&"--bind") {
        all.extend(["--bind", &bind]);
    }
    all.extend(args);
    Command::new(env!("CARGO_BIN_EXE_podium"))
        .args(&all)
        .current_dir(cwd)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("podium runs")
}

/// Every `.jsonl` file under `dir`, at any depth.
fn journals_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut todo = vec![dir.to_owned()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                todo.push(path);
            } else if path.extension().is_some_and(|e| e == "jsonl") {
                found.push(path);
            }
        }
    }
    found
}

/// Issue 11: `run`'s arguments are one config, validated before anything starts. Each bad input
/// is refused with its flag, what to fix and exit status 2; no journal is created and no port is
/// bound: the port asked for is held by the test, so a run that got as far as binding would say
/// "cannot listen" (status 1) instead.
#[test]
fn bad_run_arguments_are_refused_before_a_journal_or_a_port() {
    let cwd = tempfile::tempdir().unwrap();
    let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = held.local_addr().unwrap().port();
    let tls = tempfile::tempdir().unwrap();
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert = tls.path().join("cert.pem");
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    let cert = cert.to_str().unwrap();
    let missing_key = tls.path().join("key.pem");
    let missing_key = missing_key.to_str().unwrap();
    let existing = cwd.path().join("existing.jsonl");
    std::fs::write(&existing, "keep me\n").unwrap();
    let existing = existing.to_str().unwrap();
    let a_file = cwd.path().join("a-file");
    std::fs::write(&a_file, "").unwrap();
    let under_a_file = a_file.join("run.jsonl");
    let under_a_file = under_a_file.to_str().unwrap();
    let cases: [(&[&str], &[&str]); 9] = [
        (
            &["--token", "12345678"],
            &["--token must be at least 16 characters"],
        ),
        (
            &["--tls-cert", cert, "--tls-key", missing_key],
            &["--tls-key", "key.pem: cannot read a PEM private key"],
        ),
        (
            &["--tls-cert", missing_key, "--tls-key", cert],
            &["--tls-cert", "cannot read a PEM certificate chain"],
        ),
        (
            // Nothing creates files in /proc, not even root.
            &["--journal", "/proc/podium-test/run.jsonl"],
            &["--journal /proc/podium-test/run.jsonl: cannot create files in /proc"],
        ),
        (
            &["--journal", under_a_file],
            &["--journal", "a-file is not a directory"],
        ),
        (
            &["--journal", existing],
            &["the file already exists", "--resume"],
        ),
        (
            &["--bind", "localhost:http"],
            &[
                "--bind \"localhost:http\": not an address to listen on",
                "ADDRESS:PORT",
            ],
        ),
        (
            // TEST-NET-1 (RFC 5737): never an address of this machine.
            &["--bind", "192.0.2.1:8080"],
            &[
                "--bind \"192.0.2.1:8080\": not an address of this machine",
                "0.0.0.0",
            ],
        ),
        (
            &["--resume", "/nonexistent/podium-run.jsonl"],
            &["--resume: /nonexistent/podium-run.jsonl"],
        ),
    ];
    for (args, said) in cases {
        let out = run_in(cwd.path(), port, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        for words in said {
            assert!(stderr.contains(words), "{args:?}: {words:?} in {stderr}");
        }
        assert!(!stderr.contains("cannot listen"), "{args:?}: {stderr}");
        assert!(!stderr.contains("12345678"), "the token is never echoed");
        assert!(out.stdout.is_empty(), "{args:?}: nothing started");
    }
    assert_eq!(
        journals_under(cwd.path()),
        vec![cwd.path().join("existing.jsonl")],
        "no journal created"
    );
    assert!(!cwd.path().join("runs").exists(), "no runs/ directory");
    assert_eq!(
        std::fs::read_to_string(cwd.path().join("existing.jsonl")).unwrap(),
        "keep me\n"
    );
    drop(held);
}

/// Issue 11: every problem is reported at once, not one per attempt.
#[test]
fn every_bad_run_argument_is_reported_at_once() {
    let cwd = tempfile::tempdir().unwrap();
    let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = held.local_addr().unwrap().port();
    let out = run_in(
        cwd.path(),
        port,
        &[
            "--token",
            "short",
            "--journal",
            "/proc/podium-test/run.jsonl",
            "--tls-cert",
            "/nonexistent/cert.pem",
            "--tls-key",
            "/nonexistent/key.pem",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("podium: 3 problems; nothing was started:"),
        "{stderr}"
    );
    for flag in ["--tls-cert", "--token", "--journal"] {
        assert!(
            stderr.contains(&format!("\n  - {flag}")),
            "{flag}: {stderr}"
        );
    }
    assert!(journals_under(cwd.path()).is_empty());
    drop(held);
}
