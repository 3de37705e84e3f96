//! The record of a run: written before each broadcast, replayed after a `kill -9`, refused when
//! the show changed, tolerant of a torn last line; reports and comparisons checked against
//! scripted runs with known timings.

use crate::common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{Client, Process, TOKEN, post_command};
use nix::sys::signal::Signal;
use podium::engine::{Command, ShowTime};
use podium::journal::{self, Header, Journal, Line};
use podium::report::{Comparison, Report};
use podium::show;
use serde_json::Value;

const SHORT: &str = "tests/sessions/short.toml";

async fn state(base: &str) -> Value {
    reqwest::get(format!("{base}/api/state"))
        .await
        .expect("sent")
        .json()
        .await
        .expect("json")
}

fn journal_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .expect("journal readable")
        .lines()
        .map(|l| serde_json::from_str(l).expect("every line is JSON"))
        .collect()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

#[tokio::test]
async fn every_command_is_on_disk_before_viewers_see_its_state() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.jsonl");
    let p = path.to_str().unwrap();
    let proc = Process::start(&["run", SHORT, "--journal", p]).await;
    let header = &journal_lines(&path)[0];
    assert_eq!(header["type"], "show");
    assert_eq!(header["speed"], 1.0);
    assert_eq!(header["rehearsal"], false);
    assert_eq!(header["segments"].as_array().unwrap().len(), 3);
    assert_eq!(header["hash"].as_str().unwrap().len(), 64);
    let mut viewer = Client::connect(&proc.ws_url()).await;
    viewer.next_of("state").await;
    for (body, expect) in [
        (r#"{"cmd":"start"}"#, "start"),
        (r#"{"cmd":"message","text":"Wrap up"}"#, "message"),
        (r#"{"cmd":"adjust","seconds":30}"#, "adjust"),
        (r#"{"cmd":"next"}"#, "next"),
    ] {
        let seq = post_command(&proc.base, body).await["seq"].clone();
        // The moment a viewer has the new state, the line is already in the file.
        viewer.state_where(|s| s["seq"] == seq).await;
        let lines = journal_lines(&path);
        let last_cmd = lines.iter().rev().find(|l| l["type"] == "command").unwrap();
        assert_eq!(last_cmd["cmd"]["cmd"], expect);
        assert!(last_cmd["at_ms"].is_i64() && last_cmd["wall"].as_str().unwrap().ends_with('Z'));
    }
    let lines = journal_lines(&path);
    let events: Vec<&str> = lines.iter().filter_map(|l| l["event"].as_str()).collect();
    assert_eq!(events, ["started", "ended", "started"]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the journal holds the token: owner only");
    }
}

/// A real process at --speed 1: start, move on, `kill -9`, start again with --resume. The
/// countdown continues as if the process had never stopped, and a viewer that reconnects sees
/// the same segment.
// Real time: a killed process's downtime is wall-clock time; no paused clock stands in for it.
#[tokio::test]
async fn resume_after_sigkill_carries_on_where_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.jsonl");
    let bind = format!("127.0.0.1:{}", free_port());
    let mut first = Process::start(&[
        "run",
        SHORT,
        "--journal",
        path.to_str().unwrap(),
        "--bind",
        &bind,
    ])
    .await;
    post_command(&first.base, r#"{"cmd":"start"}"#).await;
    let running = post_command(&first.base, r#"{"cmd":"next"}"#).await;
    assert_eq!(running["index"], 1);
    let ends_at = running["ends_at_ms"].as_i64().unwrap();
    let mut viewer = Client::connect(&first.ws_url()).await;
    viewer.state_where(|s| s["index"] == 1).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    first.signal(Signal::SIGKILL);
    first.child.wait().await.unwrap();
    // Down for a while: the speaker keeps talking, so the countdown must show that time gone.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let second = Process::start(&[
        "run",
        SHORT,
        "--resume",
        path.to_str().unwrap(),
        "--bind",
        &bind,
    ])
    .await;
    let resumed = state(&second.base).await;
    assert_eq!(resumed["index"], 1);
    assert_eq!(resumed["phase"], "running");
    assert_eq!(resumed["segment"]["title"], "Keynote");
    let truth = ends_at - resumed["server_time_ms"].as_i64().unwrap();
    let remaining = resumed["remaining_ms"].as_i64().unwrap();
    assert!(
        (remaining - truth).abs() < 1000,
        "remaining {remaining} vs truth {truth}"
    );
    assert!(
        remaining < 600_000 - 2_000,
        "the downtime counted: {remaining}"
    );
    assert!((resumed["ends_at_ms"].as_i64().unwrap() - ends_at).abs() < 1000);
    // The same token still works, and the viewer, reconnecting, sees the same segment.
    post_command(&second.base, r#"{"cmd":"message","text":"still here"}"#).await;
    let mut again = None;
    for _ in 0..50 {
        if let Ok((ws, _)) = tokio_tungstenite::connect_async(second.ws_url()).await {
            again = Some(Client { ws });
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut again = again.expect("reconnects");
    let s = again.next_of("state").await;
    assert_eq!(
        (s["index"].as_i64(), s["message"].as_str()),
        (Some(1), Some("still here"))
    );
    drop(viewer);
    let lines = journal_lines(&path);
    assert!(lines.iter().any(|l| l["type"] == "resume"));
}

#[tokio::test]
async fn resume_is_refused_when_the_show_changed() {
    let dir = tempfile::tempdir().unwrap();
    let show = dir.path().join("short.toml");
    std::fs::copy(SHORT, &show).unwrap();
    let path = dir.path().join("run.jsonl");
    let mut proc = Process::start(&[
        "run",
        show.to_str().unwrap(),
        "--journal",
        path.to_str().unwrap(),
    ])
    .await;
    post_command(&proc.base, r#"{"cmd":"start"}"#).await;
    proc.signal(Signal::SIGKILL);
    proc.child.wait().await.unwrap();
    let text = std::fs::read_to_string(&show)
        .unwrap()
        .replace("duration = \"10m\"", "duration = \"12m\"");
    std::fs::write(&show, text).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_podium"))
        .args([
            "run",
            show.to_str().unwrap(),
            "--resume",
            path.to_str().unwrap(),
            "--bind",
            "127.0.0.1:0",
        ])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("the show file changed"), "{err}");
    assert!(err.contains("segment 2 duration: 10:00 → 12:00"), "{err}");
}

#[tokio::test]
async fn a_torn_last_line_is_ignored_and_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.jsonl");
    let mut proc = Process::start(&["run", SHORT, "--journal", path.to_str().unwrap()]).await;
    post_command(&proc.base, r#"{"cmd":"start"}"#).await;
    proc.signal(Signal::SIGKILL);
    proc.child.wait().await.unwrap();
    // A power cut mid-write leaves half a line.
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    f.write_all(br#"{"type":"command","at_ms":12"#).unwrap();
    drop(f);
    let recorded = journal::read(&path).expect("a torn tail is not a refusal");
    assert!(recorded.torn.is_some());
    let proc = Process::spawn(
        &[
            "run",
            SHORT,
            "--resume",
            path.to_str().unwrap(),
            "--no-notify",
        ],
        &[],
    )
    .await;
    assert_eq!(state(&proc.base).await["phase"], "running");
    proc.signal(Signal::SIGTERM);
    let out = proc.child.wait_with_output().await.unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("ignoring a torn last line"));
    // Every line left is whole: the torn tail was cut before appending.
    let lines = journal_lines(&path);
    assert!(lines.iter().any(|l| l["type"] == "resume"));
    assert_eq!(lines.last().unwrap()["type"], "end");
}

#[test]
fn a_damaged_middle_line_is_refused_with_its_number() {
    let dir = tempfile::tempdir().unwrap();
    let path = scripted(
        dir.path(),
        "a.jsonl",
        &[(0, Command::Start), (60_000, Command::Next)],
        1.0,
        false,
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines[1] = "garbage";
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let err = journal::read(&path).unwrap_err().to_string();
    assert!(err.contains(":2: not a journal line"), "{err}");
}

#[test]
fn the_newest_unfinished_journal_is_the_default_to_resume() {
    let dir = tempfile::tempdir().unwrap();
    let show = Path::new("sessions/002_iml_session_four.toml");
    let old = scripted_named(
        dir.path(),
        "002_iml_session_four-20260101T100000.000Z.jsonl",
        &[(0, Command::Start)],
        false,
    );
    let newer = scripted_named(
        dir.path(),
        "002_iml_session_four-20260102T100000.000Z.jsonl",
        &[(0, Command::Start)],
        false,
    );
    let _newest_but_ended = scripted_named(
        dir.path(),
        "002_iml_session_four-20260103T100000.000Z.jsonl",
        &[(0, Command::Start)],
        true,
    );
    let chosen = journal::newest_unfinished(dir.path(), show).unwrap();
    assert_eq!(chosen.recorded.path, newer);
    assert_ne!(chosen.recorded.path, old);
    let err = journal::newest_unfinished(dir.path(), Path::new("other.toml")).unwrap_err();
    assert!(err.to_string().contains("no unfinished journal"));
}

/// Writes a journal of seed 002 with commands at known show times (ms).
fn scripted(
    dir: &Path,
    name: &str,
    script: &[(i64, Command)],
    speed: f64,
    rehearsal: bool,
) -> PathBuf {
    let show = show::load_file(Path::new("sessions/002_iml_session_four.toml")).unwrap();
    let path = dir.join(name);
    let zero = 1_700_000_000_000.0;
    let header = Header::new(&show, "hash-of-002".into(), speed, rehearsal, TOKEN, zero);
    let mut journal = Journal::create(&path, &header).unwrap();
    let mut engine = podium::engine::Engine::new(&show);
    for (at, cmd) in script {
        let events = engine
            .apply(cmd.clone(), ShowTime(*at))
            .expect("scripted command applies");
        let wall = journal::wall((zero + *at as f64 / speed) as i64);
        let mut lines = vec![Line::command(ShowTime(*at), wall, cmd)];
        lines.extend(events.iter().map(|e| Line::event(ShowTime(*at), wall, e)));
        journal.write(&lines).unwrap();
    }
    path
}

fn scripted_named(dir: &Path, name: &str, script: &[(i64, Command)], ended: bool) -> PathBuf {
    let path = scripted(dir, name, script, 1.0, false);
    if ended {
        let recorded = journal::read(&path).unwrap();
        let mut j = Journal::reopen(&recorded).unwrap();
        j.write(&[Line::End {
            at_ms: 1,
            wall: journal::wall(0),
        }])
        .unwrap();
    }
    path
}

const M: i64 = 60_000;

/// Seed 002 (8 / 20 / 15 / 15 / Q&A 30 / 8), run with known timings:
/// intro 9' (+1), ILO 22' of which 2' paused and with a message (ran 20', ±0), BWI 15' (±0),
/// MFA 16' (+1), Q&A 26' (absorbs 4'), closing 8' (±0). Ends exactly on time (96').
fn live_script() -> Vec<(i64, Command)> {
    vec![
        (0, Command::Start),
        (9 * M, Command::Next),
        (15 * M, Command::Message("Five minutes".into())),
        (20 * M, Command::Pause),
        (22 * M, Command::Resume),
        (31 * M, Command::Next),
        (46 * M, Command::Next),
        (62 * M, Command::Next),
        (88 * M, Command::Next),
        (96 * M, Command::Next),
    ]
}

#[test]
fn report_figures_match_a_scripted_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = scripted(dir.path(), "live.jsonl", &live_script(), 1.0, false);
    let report = Report::from_journal(&journal::read(&path).unwrap());
    let actual: Vec<i64> = report
        .rows
        .iter()
        .map(|r| r.actual_ms.unwrap() / M)
        .collect();
    assert_eq!(actual, [9, 20, 15, 16, 26, 8]);
    let overrun: Vec<i64> = report
        .rows
        .iter()
        .map(|r| r.overrun_ms.unwrap() / M)
        .collect();
    assert_eq!(overrun, [1, 0, 0, 1, -4, 0]);
    assert_eq!(report.rows[1].pauses, 1);
    assert_eq!(report.rows[1].paused_ms, 2 * M);
    assert_eq!(report.rows[1].messages, 1);
    assert_eq!(
        report
            .rows
            .iter()
            .map(|r| r.pauses + r.messages)
            .sum::<u32>(),
        2
    );
    assert_eq!(report.end_offset_ms, Some(0));
    assert_eq!(report.qa_absorbed_ms, Some(4 * M));
    assert_eq!(report.largest_overruns, vec![(0, M), (3, M)]);
    // Actual starts are show time from the real start: segment 3 starts 31' in.
    let start = report.rows[0].actual_start.unwrap();
    assert_eq!(
        (report.rows[2].actual_start.unwrap() - start).num_minutes(),
        31
    );
    let md = report.markdown();
    assert!(
        md.contains("| 2 | ILO standards — Katerine Landuyt"),
        "{md}"
    );
    assert!(
        md.contains("| 20:00 | 20:00 | ±0:00 | 1 (2:00) | 1 |"),
        "{md}"
    );
    assert!(md.contains("The Q&A absorbed 4:00."), "{md}");
    assert!(md.contains("(±0:00)"), "{md}");
    let csv = report.csv().unwrap();
    assert_eq!(csv.lines().count(), 7);
    assert!(
        csv.lines()
            .nth(2)
            .unwrap()
            .ends_with(",1200.0,1200.0,0.0,1,1"),
        "{csv}"
    );
    let json: Value = serde_json::from_str(&report.json()).unwrap();
    assert_eq!(json["rows"][4]["overrun_ms"], -4 * M);
}

/// A rehearsal at ×9.6 reports show time, not the compressed real time.
#[test]
fn a_fast_rehearsal_reports_show_time() {
    let dir = tempfile::tempdir().unwrap();
    let path = scripted(dir.path(), "rehearsal.jsonl", &live_script(), 9.6, true);
    let report = Report::from_journal(&journal::read(&path).unwrap());
    assert!(report.rehearsal);
    assert_eq!(report.rows[1].actual_ms, Some(20 * M));
    let start = report.rows[0].actual_start.unwrap();
    assert_eq!((report.actual_end.unwrap() - start).num_minutes(), 96);
    assert!(report.markdown().contains("rehearsal ×9.6"));
}

#[test]
fn two_runs_are_compared_segment_by_segment() {
    let dir = tempfile::tempdir().unwrap();
    let rehearsal = scripted(
        dir.path(),
        "r1.jsonl",
        &[
            (0, Command::Start),
            (10 * M, Command::Next),
            (40 * M, Command::Next),
        ],
        9.6,
        true,
    );
    let live = scripted(dir.path(), "live.jsonl", &live_script(), 1.0, false);
    let reports: Vec<Report> = [rehearsal, live]
        .iter()
        .map(|p| Report::from_journal(&journal::read(p).unwrap()))
        .collect();
    let cmp = Comparison::check(&reports).unwrap();
    let md = cmp.markdown();
    assert!(
        md.contains("| 1 | Introduction | 8:00 | 10:00 (+2:00) | 9:00 (+1:00) |"),
        "{md}"
    );
    assert!(
        md.contains("| 2 | ILO standards | 20:00 | 30:00 (+10:00) | 20:00 (±0:00) |"),
        "{md}"
    );
    assert!(
        md.contains("run 1: rehearsal ×9.6") && md.contains("run 2: live"),
        "{md}"
    );
    let csv = cmp.csv().unwrap();
    assert!(csv.starts_with("index,title,planned_s,run1_actual_s,run1_overrun_s,run2_actual_s"));

    // Journals of another show are not compared.
    let other_show = show::load_file(Path::new(SHORT)).unwrap();
    let other = dir.path().join("other.jsonl");
    Journal::create(
        &other,
        &Header::new(&other_show, "x".into(), 1.0, false, TOKEN, 0.0),
    )
    .unwrap();
    let mixed = vec![
        reports[0].clone(),
        Report::from_journal(&journal::read(&other).unwrap()),
    ];
    assert!(Comparison::check(&mixed).is_err());
}

#[test]
fn the_report_command_prints_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let a = scripted(dir.path(), "a.jsonl", &live_script(), 1.0, false);
    let b = scripted(dir.path(), "b.jsonl", &live_script(), 9.6, true);
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_podium"))
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    assert!(
        run(&["report", a])
            .contains("Largest overruns: 1. Introduction +1:00; 4. An NGO perspective")
    );
    assert!(run(&["report", a, "--format", "csv"]).starts_with("index,title,speaker,kind"));
    let json: Value = serde_json::from_str(&run(&["report", a, "--format", "json"])).unwrap();
    assert_eq!(json["rows"].as_array().unwrap().len(), 6);
    assert!(run(&["report", a, b]).contains("2 runs compared"));
}

/// Issue 4: a `fit` replays exactly (resume, reports) because the journal records the target.
#[test]
fn a_fit_replays_exactly_from_the_journal() {
    use podium::engine::{Engine, Target};
    let dir = tempfile::tempdir().unwrap();
    let show = show::load_file(Path::new("sessions/002_iml_session_four.toml")).unwrap();
    let target = Some(Target::AfterStart(96 * M));
    let header = Header::new(&show, "hash".into(), 1.0, true, TOKEN, 1_700_000_000_000.0)
        .with_target(target);
    let path = dir.path().join("fit.jsonl");
    let mut journal = Journal::create(&path, &header).unwrap();
    let mut live = Engine::new(&show).with_target(target);
    // The intro runs 10' late; fit takes it from the Q&A (min 15').
    for (at, cmd) in [
        (0, Command::Start),
        (18 * M, Command::Next),
        (19 * M, Command::Fit),
    ] {
        let events = live.apply(cmd.clone(), ShowTime(at)).unwrap();
        let wall = journal::wall(1_700_000_000_000 + at);
        let mut lines = vec![Line::command(ShowTime(at), wall, &cmd)];
        lines.extend(events.iter().map(|e| Line::event(ShowTime(at), wall, e)));
        journal.write(&lines).unwrap();
    }
    let recorded = journal::read(&path).unwrap();
    assert_eq!(recorded.header.target(), target);
    let now = ShowTime(20 * M);
    let replayed = recorded.replay(&show);
    assert_eq!(replayed.replan(now), live.replan(now));
    assert_eq!(replayed.replan(now)[4].length_ms, 20 * M);
    assert_eq!(replayed.snapshot(now).slack_ms, Some(0));
    assert_eq!(replayed.last_fit(), live.last_fit());
    // The report rebuilds the show from the journal alone: mins included.
    assert_eq!(recorded.header.show().segments[4].min, show.segments[4].min);
}

/// Issue 7: end actions are part of the recorded show, and a replay carries out the same hand-over
/// and stop at the same instants; a journal from before end actions reads as "overtime".
#[test]
fn end_actions_survive_the_journal_and_replay() {
    use podium::engine::{Engine, Phase};
    use podium::show::OnEnd;
    let dir = tempfile::tempdir().unwrap();
    let show = show::load_file(Path::new("tests/sessions/ends.toml")).unwrap();
    let path = dir.path().join("ends.jsonl");
    let header = Header::new(&show, "h".into(), 1.0, false, TOKEN, 1_700_000_000_000.0);
    let mut journal = Journal::create(&path, &header).unwrap();
    let mut live = Engine::new(&show);
    live.apply(Command::Start, ShowTime(0)).unwrap();
    journal
        .write(&[Line::command(
            ShowTime(0),
            journal::wall(0),
            &Command::Start,
        )])
        .unwrap();
    let recorded = journal::read(&path).unwrap();
    let ends: Vec<OnEnd> = recorded
        .header
        .show()
        .segments
        .iter()
        .map(|s| s.on_end)
        .collect();
    assert_eq!(ends, [OnEnd::Next, OnEnd::Stop, OnEnd::Overtime]);
    let replayed = recorded.replay(&recorded.header.show());
    let at = ShowTime(150_000);
    assert_eq!(replayed.snapshot(at), live.snapshot(at));
    assert_eq!(
        (live.snapshot(at).index, live.snapshot(at).phase),
        (1, Phase::Stopped)
    );

    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        text.matches("\"on_end\"").count(),
        2,
        "overtime is left out: {text}"
    );
    let old = text
        .replace(",\"on_end\":\"next\"", "")
        .replace(",\"on_end\":\"stop\"", "");
    assert!(!old.contains("on_end"), "{old}");
    let old_path = dir.path().join("old.jsonl");
    std::fs::write(&old_path, old).unwrap();
    let old = journal::read(&old_path).unwrap().header.show();
    assert!(old.segments.iter().all(|s| s.on_end == OnEnd::Overtime));
}

/// `podium run` in `cwd` with stdin closed; returns the finished output.
fn podium_in(cwd: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_podium"))
        .args(args)
        .current_dir(cwd)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("podium runs")
}

fn jsonl_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    files
}

/// Issue 10: a run that cannot bind leaves no journal behind, with or without `--journal`, so a
/// later plain `--resume` has nothing stale to pick.
#[test]
fn a_run_that_cannot_bind_leaves_no_journal() {
    let dir = tempfile::tempdir().unwrap();
    let show = std::fs::canonicalize(SHORT).unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let bind = taken.local_addr().unwrap().to_string();
    let given = dir.path().join("given.jsonl");
    for journal in [None, Some(given.to_str().unwrap())] {
        let mut args = vec![
            "run",
            show.to_str().unwrap(),
            "--bind",
            &bind,
            "--no-notify",
        ];
        args.extend(journal.iter().flat_map(|j| ["--journal", *j]));
        let out = podium_in(dir.path(), &args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains("cannot listen on"), "{err}");
    }
    assert!(!given.exists(), "no journal at the --journal path");
    assert_eq!(jsonl_files(&dir.path().join("runs")), Vec::<PathBuf>::new());
    drop(taken);
}

/// Issue 10: a header-only journal (a failed start of an older version, or a stray file) newer
/// than the run that really happened is never chosen by a plain `--resume`; podium says which
/// journal it chose and why.
#[tokio::test]
async fn a_plain_resume_picks_the_run_that_ran_not_a_newer_empty_journal() {
    let dir = tempfile::tempdir().unwrap();
    let show = std::fs::canonicalize(SHORT).unwrap();
    let runs = dir.path().join("runs");
    let real = runs.join("short-20260101T100000.000Z.jsonl");
    let bind = format!("127.0.0.1:{}", free_port());
    let mut first = Process::start(&[
        "run",
        show.to_str().unwrap(),
        "--journal",
        real.to_str().unwrap(),
        "--bind",
        &bind,
    ])
    .await;
    post_command(&first.base, r#"{"cmd":"start"}"#).await;
    let ran = post_command(&first.base, r#"{"cmd":"next"}"#).await;
    first.signal(Signal::SIGKILL);
    first.child.wait().await.unwrap();
    // Two newer journals that never started: a header only, and a header with a torn line.
    let header = std::fs::read_to_string(&real)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_owned();
    let stray = runs.join("short-20260102T100000.000Z.jsonl");
    std::fs::write(&stray, format!("{header}\n")).unwrap();
    std::fs::write(
        runs.join("short-20260103T100000.000Z.jsonl"),
        format!("{header}\n{{\"type\":\"comm"),
    )
    .unwrap();
    let stray_before = std::fs::read(&stray).unwrap();

    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_podium"))
        .args([
            "run",
            show.to_str().unwrap(),
            "--resume",
            "--bind",
            &bind,
            "--no-notify",
        ])
        .current_dir(dir.path())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    use tokio::io::AsyncBufReadExt;
    let mut stdout = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut said = Vec::new();
    let base = loop {
        let line = tokio::time::timeout(Duration::from_secs(10), stdout.next_line())
            .await
            .expect("podium prints its URLs")
            .unwrap()
            .expect("podium did not exit");
        if let Some(url) = line.strip_prefix("speaker view: ") {
            break url.trim_end_matches('/').to_owned();
        }
        said.push(line);
    };
    let said = said.join("\n");
    assert!(
        said.contains("resuming runs/short-20260101T100000.000Z.jsonl"),
        "{said}"
    );
    assert!(
        said.contains("the newest unfinished run of this show"),
        "{said}"
    );
    assert!(said.contains("skipped 2 that never started"), "{said}");
    let resumed = state(&base).await;
    assert_eq!(resumed["index"], 1);
    assert_eq!(resumed["phase"], "running");
    assert_eq!(resumed["ends_at_ms"], ran["ends_at_ms"]);
    post_command(&base, r#"{"cmd":"message","text":"same token"}"#).await;
    assert_eq!(std::fs::read(&stray).unwrap(), stray_before, "left alone");
}

/// Issue 10: start, `n`, `p`, `n` — a revisited segment's actual time is the sum of the time it
/// ran, not its first start to its last end; pauses and other segments' time are left out, and
/// the actuals add up to at most the show's length. A run with no clean end says it was
/// interrupted instead of reporting an "actual end".
#[test]
fn revisited_segments_count_only_the_time_they_ran() {
    let dir = tempfile::tempdir().unwrap();
    let path = scripted(
        dir.path(),
        "revisit.jsonl",
        &[
            (0, Command::Start),
            (9 * M, Command::Next),
            (12 * M, Command::Previous),
            (14 * M, Command::Next),
            (20 * M, Command::Pause),
            (22 * M, Command::Resume),
            (34 * M, Command::Next),
            (40 * M, Command::Message("still going".into())),
        ],
        1.0,
        false,
    );
    let report = Report::from_journal(&journal::read(&path).unwrap());
    let actual: Vec<Option<i64>> = report.rows.iter().map(|r| r.actual_ms).collect();
    // Intro 0–9 and 12–14; ILO 9–12 and 14–34 less the 2' pause; BWI 34–40, still running.
    assert_eq!(
        actual,
        [Some(11 * M), Some(21 * M), Some(6 * M), None, None, None]
    );
    assert_eq!(report.rows[1].paused_ms, 2 * M);
    assert_eq!(report.rows[1].overrun_ms, Some(M));
    assert!(actual.iter().flatten().sum::<i64>() <= 40 * M);
    assert_eq!(report.actual_end, None);
    assert_eq!(report.end_offset_ms, None);
    let start = report.rows[0].actual_start.unwrap();
    let interrupted = report.interrupted.as_ref().expect("interrupted");
    assert_eq!((interrupted.at - start).num_minutes(), 40);
    assert_eq!(interrupted.index, 2);
    assert!(interrupted.running);
    let md = report.markdown();
    let at = interrupted
        .at
        .with_timezone(&report.timezone.parse::<chrono_tz::Tz>().unwrap())
        .format("%H:%M:%S")
        .to_string();
    assert!(
        md.contains(&format!("interrupted at {at} (segment 3 running)")),
        "{md}"
    );
    assert!(!md.contains("actual end"), "{md}");
    assert!(md.contains("| 21:00 | +1:00 | 1 (2:00) |"), "{md}");
}

/// Hand-overs at a deadline (`on_end = "next"`) and a stop at zero end a segment's running time
/// where the engine ended it, not at the next command.
#[test]
fn end_actions_end_the_running_time_at_the_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let show = show::load_file(Path::new("tests/sessions/ends.toml")).unwrap();
    let path = dir.path().join("ends.jsonl");
    let zero = 1_700_000_000_000.0;
    let header = Header::new(&show, "h".into(), 1.0, false, TOKEN, zero);
    let mut journal = Journal::create(&path, &header).unwrap();
    let mut engine = podium::engine::Engine::new(&show);
    for (at, cmd) in [
        (0, Command::Start),
        (5 * M, Command::Next),
        (6 * M, Command::Start),
        (7 * M, Command::Next),
    ] {
        let events = engine.apply(cmd.clone(), ShowTime(at)).unwrap();
        let wall = journal::wall((zero + at as f64) as i64);
        let mut lines = vec![Line::command(ShowTime(at), wall, &cmd)];
        lines.extend(events.iter().map(|e| Line::event(ShowTime(at), wall, e)));
        journal.write(&lines).unwrap();
    }
    journal
        .write(&[Line::End {
            at_ms: 7 * M,
            wall: journal::wall(zero as i64 + 7 * M),
        }])
        .unwrap();
    let report = Report::from_journal(&journal::read(&path).unwrap());
    let actual: Vec<Option<i64>> = report.rows.iter().map(|r| r.actual_ms).collect();
    // Opening 0–1 (hands over), talk 1–2 (stops at zero, waits until 5'), Q&A waits, runs 6–7.
    assert_eq!(actual, [Some(M), Some(M), Some(M)]);
    assert_eq!(report.rows[2].paused_ms, M);
    assert!(report.interrupted.is_none());
}

/// Issue 10: titles, speakers and the show's title reach the Markdown report as text, never as
/// markup: a newline cannot start a heading or a row, a `|` cannot add a cell, HTML and
/// Markdown links and images are inert.
#[test]
fn the_markdown_report_escapes_hostile_text() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = "Evil\n# Heading <img src=x onerror=alert(1)> [click](javascript:alert(1)) \
                   ![i](http://x/p.png) a|b &lt; back\\";
    let mut show = show::load_file(Path::new(SHORT)).unwrap();
    show.title = hostile.to_owned();
    show.segments[0].title = hostile.to_owned();
    show.segments[1].speaker = Some(format!("Mallory\r\n| 9 | forged |{hostile}"));
    let zero = 1_700_000_000_000.0;
    let header = Header::new(&show, "h".into(), 1.0, false, TOKEN, zero);
    let path = dir.path().join("hostile<b>|\n.jsonl");
    let mut journal = Journal::create(&path, &header).unwrap();
    let mut engine = podium::engine::Engine::new(&show);
    for (at, cmd) in [(0, Command::Start), (2 * M, Command::Next)] {
        let events = engine.apply(cmd.clone(), ShowTime(at)).unwrap();
        let wall = journal::wall((zero + at as f64) as i64);
        let mut lines = vec![Line::command(ShowTime(at), wall, &cmd)];
        lines.extend(events.iter().map(|e| Line::event(ShowTime(at), wall, e)));
        journal.write(&lines).unwrap();
    }
    let report = Report::from_journal(&journal::read(&path).unwrap());
    let other = report.clone();
    for md in [
        report.markdown(),
        Comparison::check(&[report, other]).unwrap().markdown(),
    ] {
        for bad in [
            "<img",
            "<b>",
            "[click](",
            "[i](",
            "\n# Heading",
            "\n| 9 | forged",
        ] {
            assert!(!md.contains(bad), "{bad:?} in\n{md}");
        }
        assert!(md.contains("&amp;lt;") && md.contains("&lt;img"), "{md}");
        assert!(md.contains(r"\[click\]") && md.contains(r"a\|b"), "{md}");
        assert!(!md.contains('\r'), "{md}");
        // Every table line keeps its own number of cells.
        let widths: Vec<usize> = md
            .lines()
            .filter(|l| l.starts_with('|'))
            .map(|l| l.replace(r"\\", "").replace(r"\|", "").matches('|').count())
            .collect();
        assert!(widths.len() >= 4, "{md}");
        assert!(widths.iter().all(|w| *w == widths[0]), "{widths:?}\n{md}");
    }
}

/// Runs podium with `args` (stdin closed), killing it after 20 s; returns (exit code, stderr).
fn podium_bounded(args: &[&str]) -> (Option<i32>, String) {
    use std::io::Read;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_podium"))
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("podium runs");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (status.code(), err)
}

/// Issue 10: a hand-edited or damaged journal is refused with its file and line and exit 2 (fix
/// your input) by `report` and by `run --resume`, never a panic: impossible speeds, instants,
/// lengths, segment numbers; and `--resume` refuses a token too short to keep the show safe.
#[test]
fn damaged_journals_are_refused_with_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let session = "sessions/002_iml_session_four.toml";
    let good = scripted(dir.path(), "good.jsonl", &live_script(), 1.0, false);
    let text = std::fs::read_to_string(&good).unwrap();
    let hash = journal::content_hash(&std::fs::read(session).unwrap());
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // The fourth line is the first `next`'s command; the fifth an event with an index.
    assert_eq!(lines[3]["cmd"]["cmd"], "next");
    assert!(lines[4]["type"] == "event" && lines[4]["index"].is_u64());
    type Damage = fn(&mut Vec<Value>);
    let cases: Vec<(&str, usize, Damage)> = vec![
        ("speed 0", 1, |l| l[0]["speed"] = 0.0.into()),
        ("negative speed", 1, |l| l[0]["speed"] = (-2.0).into()),
        ("huge zero instant", 1, |l| {
            l[0]["unix_at_zero_ms"] = 1e300.into()
        }),
        ("segment of 30 years", 1, |l| {
            l[0]["segments"][1]["duration_ms"] = 1_000_000_000_000i64.into()
        }),
        ("negative warning", 1, |l| {
            l[0]["segments"][0]["warn_ms"] = (-5).into()
        }),
        ("no segments", 1, |l| {
            l[0]["segments"] = serde_json::json!([])
        }),
        ("at_ms i64::MAX", 4, |l| l[3]["at_ms"] = i64::MAX.into()),
        ("negative at_ms", 4, |l| l[3]["at_ms"] = (-60_000).into()),
        ("segment index out of range", 5, |l| {
            l[4]["index"] = 99.into()
        }),
        ("goto a segment that is not there", 4, |l| {
            l[3]["cmd"] = serde_json::json!({"cmd": "goto", "index": 1_000_000})
        }),
        ("an unknown command", 4, |l| {
            l[3]["cmd"] = serde_json::json!({"cmd": "self-destruct"})
        }),
    ];
    for (what, line, damage) in cases {
        let mut damaged = lines.clone();
        damaged[0]["hash"] = hash.clone().into();
        damage(&mut damaged);
        let path = dir.path().join(format!("{}.jsonl", what.replace(' ', "-")));
        let body: String = damaged.iter().map(|l| format!("{l}\n")).collect();
        std::fs::write(&path, body).unwrap();
        let p = path.to_str().unwrap();
        let at = format!("{p}:{line}:");
        for args in [
            vec!["report", p],
            vec![
                "run",
                session,
                "--resume",
                p,
                "--bind",
                "127.0.0.1:0",
                "--no-notify",
            ],
        ] {
            let (code, err) = podium_bounded(&args);
            assert!(!err.contains("panicked"), "{what}: {args:?}\n{err}");
            assert_eq!(code, Some(2), "{what}: {args:?}\n{err}");
            assert!(
                err.contains(&at),
                "{what}: {args:?} should name {at}\n{err}"
            );
        }
    }

    // A token shorter than podium's minimum (or none, which would let a socket command with an
    // empty token through): a report is fine, a resume is refused.
    for token in ["12345678", ""] {
        let mut short = lines.clone();
        short[0]["hash"] = hash.clone().into();
        short[0]["token"] = token.into();
        let path = dir
            .path()
            .join(format!("short-token-{}.jsonl", token.len()));
        std::fs::write(
            &path,
            short.iter().map(|l| format!("{l}\n")).collect::<String>(),
        )
        .unwrap();
        let p = path.to_str().unwrap();
        let (code, err) = podium_bounded(&["report", p]);
        assert_eq!(code, Some(0), "{err}");
        let (code, err) = podium_bounded(&[
            "run",
            session,
            "--resume",
            p,
            "--bind",
            "127.0.0.1:0",
            "--no-notify",
        ]);
        assert_eq!(code, Some(2), "{err}");
        assert!(
            err.contains(&format!("{p}:1:")) && err.contains("token"),
            "{err}"
        );
    }
}
