//! The moderator's terminal for real: `podium run` in a tmux pane (a real pty), driven with
//! `send-keys` and HTTP, read back with `capture-pane`. Covers issue 10: the status line fits the
//! width and never floods the scrollback, follows resizes, alerts stay readable, nothing from the
//! show is interpreted by the terminal, closing the terminal does not end the show, and a tty left
//! raw by a killed run is cooked again.

use crate::common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::TOKEN;
use common::post_command;
use common::tmux::Tmux;
use unicode_width::UnicodeWidthStr;

/// A show whose first segment has a long title and speaker, warns after a minute of ten (two
/// seconds at speed 30) and lasts 20 s at that speed.
const LONG_SHOW: &str = r#"title = "A show with a rather long title, as real conferences have"
timezone = "UTC"

[[segment]]
title = "Opening remarks on the state of distributed systems research in the wider community"
speaker = "Professor Maximiliana Featherstonehaugh-Montgomery"
duration = "10m"
warn = "9m"

[[segment]]
title = "Keynote"
duration = "10m"
"#;

const LONG_MESSAGE: &str = "Please wrap up within the next two minutes so that the \
                            questions from the audience still fit before the break starts";

/// `podium run` of `session` (written to `dir`) on port 0, journal in `dir`, plus `extra`.
fn podium_command(dir: &Path, session: &str, extra: &str) -> String {
    let file = dir.join("show.toml");
    std::fs::write(&file, session).expect("session written");
    format!(
        "{} run {} --bind 127.0.0.1:0 --token {TOKEN} --no-notify --journal {} {extra}",
        env!("CARGO_BIN_EXE_podium"),
        file.display(),
        dir.join("run.jsonl").display()
    )
}

fn status_rows(rows: &[String]) -> Vec<&String> {
    rows.iter().filter(|r| r.contains("[1/2]")).collect()
}

/// Issue 10: a status line wider than the terminal wrapped, and every redraw (ten a second)
/// scrolled new lines, pushing the alerts away.
#[tokio::test]
async fn the_status_line_fits_80_columns_and_never_floods() {
    let tmux = Tmux::start(80, 24, |dir| {
        format!("exec {}", podium_command(dir, LONG_SHOW, "--speed 30"))
    });
    let base = tmux.base_url();
    post_command(&base, r#"{"cmd":"start"}"#).await;
    let alert = tmux.wait_for("9:00 left");
    post_command(
        &base,
        &serde_json::json!({"cmd": "message", "text": LONG_MESSAGE}).to_string(),
    )
    .await;
    tmux.wait_for("✉");
    let before = tmux.history();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = tmux.history();

    let statuses = status_rows(&after);
    assert!(
        statuses.len() <= 1,
        "{} status lines in the scrollback:\n{}",
        statuses.len(),
        after.join("\n")
    );
    assert!(
        after.len() <= before.len(),
        "the scrollback grew from {} to {} lines",
        before.len(),
        after.len()
    );
    let last = tmux.screen();
    let status = last.last().expect("a status line");
    assert!(status.contains("[1/2]"), "{}", last.join("\n"));
    assert!(status.width() <= 80, "{} columns: {status}", status.width());
    assert!(
        last.contains(&alert),
        "the alert {alert:?} is gone:\n{}",
        last.join("\n")
    );
}

/// The moderator's link (its own random token, an ephemeral port) is one row at 80 columns, so
/// a double-click or a terminal's link detection takes it whole: it was 82 columns wide
/// (`moderator:    ` aligned under `speaker view: `) and its last two characters wrapped.
#[tokio::test]
async fn the_moderators_link_is_one_row_at_80_columns() {
    let tmux = Tmux::start(80, 24, |dir| {
        let file = dir.join("show.toml");
        std::fs::write(&file, LONG_SHOW).expect("session written");
        format!(
            "exec {} run {} --bind 127.0.0.1:0 --no-notify --journal {}",
            env!("CARGO_BIN_EXE_podium"),
            file.display(),
            dir.join("run.jsonl").display()
        )
    });
    // The screen is captured with wrapped rows joined: a row wider than 80 columns wrapped.
    let row = tmux.wait_for("#token=");
    assert!(row.starts_with("moderator: http://127.0.0.1:"), "{row:?}");
    let token = row.rsplit("#token=").next().unwrap_or_default();
    assert_eq!(token.len(), 32, "the whole token on the row: {row:?}");
    assert!(row.width() <= 80, "{} columns: {row:?}", row.width());
}

/// The status line follows a resize: narrowed to 60 columns, it fits 60.
#[tokio::test]
async fn the_status_line_follows_a_resize() {
    let tmux = Tmux::start(80, 24, |dir| {
        format!("exec {}", podium_command(dir, LONG_SHOW, "--speed 30"))
    });
    let base = tmux.base_url();
    post_command(&base, r#"{"cmd":"start"}"#).await;
    post_command(
        &base,
        &serde_json::json!({"cmd": "message", "text": LONG_MESSAGE}).to_string(),
    )
    .await;
    tmux.wait_for("✉");
    tmux.run(&["resize-window", "-t", "show", "-x", "60", "-y", "24"]);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let screen = tmux.screen();
    let status = screen.last().expect("a status line");
    assert!(status.contains("[1/2]"), "{}", screen.join("\n"));
    // tmux rewraps the old, wider line on the resize: no piece of it may stay above the new one.
    assert_eq!(
        status_rows(&screen).len(),
        1,
        "an old status line is left:\n{}",
        screen.join("\n")
    );
    assert!(
        status.width() <= 60,
        "{} columns: {status}\n{}",
        status.width(),
        screen.join("\n")
    );
}

/// Issue 10: titles and speakers with escape sequences reached the terminal raw (OSC 52 writes
/// the clipboard, OSC 2 retitles the window, CSI moves the cursor or clears the screen).
#[tokio::test]
async fn escape_sequences_in_a_show_never_reach_the_terminal() {
    let hostile = "title = \"Show \\u001b]2;pwned-show\\u0007\\u001b[2J\"\n\
                   timezone = \"UTC\"\n\n[[segment]]\n\
                   title = \"Opening \\u001b]52;c;cHduZWQ=\\u0007\\u001b]2;pwned-title\\u0007talk\"\n\
                   speaker = \"Chair \\u001b]2;pwned-speaker\\u0007\\u001b[31mred\"\n\
                   duration = \"10m\"\nwarn = \"9m\"\n\n\
                   [[segment]]\ntitle = \"Keynote\"\nduration = \"10m\"\n";
    let tmux = Tmux::start(120, 30, |dir| {
        format!("exec {}", podium_command(dir, hostile, "--speed 30"))
    });
    let base = tmux.base_url();
    post_command(&base, r#"{"cmd":"start"}"#).await;
    let alert = tmux.wait_for("9:00 left");
    assert!(alert.contains("Chair"), "{alert}");
    let screen = tmux.screen();
    assert!(
        screen.iter().any(|r| r.contains("podium: Show")),
        "the banner was cleared:\n{}",
        screen.join("\n")
    );
    let title = tmux.run(&["display-message", "-p", "-t", "show", "#{pane_title}"]);
    assert!(!title.contains("pwned"), "the pane was retitled: {title}");
    let buffers = tmux.run(&["list-buffers"]);
    assert!(
        buffers.trim().is_empty(),
        "OSC 52 wrote a buffer: {buffers}"
    );
}

/// Issue 10: closing the terminal (here: killing its tmux session, a real hangup of the pty) ended
/// the show. Now podium goes on headless: the HTTP API still controls it, and SIGTERM still ends it
/// cleanly.
#[tokio::test]
async fn closing_the_terminal_leaves_the_show_running() {
    let tmux = Tmux::start(100, 30, |dir| {
        format!(
            "trap : HUP; {}; echo \"exit $?\" > {}",
            podium_command(dir, LONG_SHOW, "--speed 30"),
            dir.join("status").display()
        )
    });
    let base = tmux.base_url();
    let sh = tmux.pane_pid();
    let podium = child_of(sh);
    post_command(&base, r#"{"cmd":"start"}"#).await;
    tmux.run(&["kill-session", "-t", "show"]);
    tokio::time::sleep(Duration::from_secs(1)).await;
    // Headless, it idles: crossterm's reader spun on the dead tty's endless EOF
    // (crossterm-rs/crossterm#793), some 20 % of a core for as long as the show ran.
    let before = cpu_seconds(podium);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let used = cpu_seconds(podium) - before;
    assert!(
        used < 0.15,
        "a headless podium used {used:.2} s of CPU in 3 s: something spins"
    );

    let state = post_command(&base, r#"{"cmd":"next"}"#).await;
    assert_eq!(state["index"], 1, "{state}");
    let status = reqwest::get(format!("{base}/api/state"))
        .await
        .expect("podium still answers")
        .status();
    assert_eq!(status.as_u16(), 200);

    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(podium),
        nix::sys::signal::Signal::SIGTERM,
    )
    .expect("SIGTERM sent");
    let status = wait_for_file(&tmux.path("status"));
    assert_eq!(status.trim(), "exit 0");
    let journal = std::fs::read_to_string(tmux.path("run.jsonl")).expect("journal");
    assert!(
        journal
            .lines()
            .last()
            .is_some_and(|l| l.contains("\"end\"")),
        "{journal}"
    );
}

/// Issue 10: after `kill -9` the terminal stays raw, and the next run took that raw mode for the
/// terminal's own and restored it on quit (and printed its banner as a staircase). Now a run that
/// finds its terminal raw cooks it first.
#[tokio::test]
async fn a_run_after_kill_9_leaves_the_terminal_cooked() {
    let tmux = Tmux::start(100, 30, |dir| {
        let session = dir.join("show.toml");
        std::fs::write(&session, LONG_SHOW).expect("session written");
        let run = |journal: &str| {
            format!(
                "{} run {} --bind 127.0.0.1:0 --token {TOKEN} --no-notify --journal {}",
                env!("CARGO_BIN_EXE_podium"),
                session.display(),
                dir.join(journal).display()
            )
        };
        format!(
            "{}; {}; stty -a > {}",
            run("first.jsonl"),
            run("second.jsonl"),
            dir.join("stty").display()
        )
    });
    tmux.wait_for("first.jsonl");
    tmux.wait_for("[1/2]");
    let first = child_of(tmux.pane_pid());
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(first),
        nix::sys::signal::Signal::SIGKILL,
    )
    .expect("SIGKILL sent");
    let (moderator, screen) = tmux.wait_until("the second run's banner", |screen| {
        let second = screen.iter().rposition(|r| r.contains("second.jsonl"))?;
        screen[second..]
            .iter()
            .find(|r| r.contains("moderator:"))
            .cloned()
    });
    assert!(
        moderator.starts_with("moderator:"),
        "the banner is a staircase: {moderator:?}\n{}",
        screen.join("\n")
    );
    tmux.keys(&["q"]);
    let stty = wait_for_file(&tmux.path("stty"));
    let flags: Vec<&str> = stty.split_whitespace().collect();
    for flag in ["icanon", "echo", "opost", "isig"] {
        assert!(
            flags.contains(&flag),
            "{flag} is off after the run:\n{stty}"
        );
    }
}

/// The single child process of `pid` (the pane's shell runs podium in the foreground).
fn child_of(pid: i32) -> i32 {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let children =
            std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
        if let Some(child) = children.split_whitespace().next() {
            return child.parse().expect("a pid");
        }
        assert!(Instant::now() < deadline, "{pid} has no child");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits (up to 15 s) for `path` to hold a complete line; returns its content.
fn wait_for_file(path: &Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Ok(text) = std::fs::read_to_string(path)
            && text.ends_with('\n')
        {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "{} never written",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The CPU time (user + system) process `pid` has used, in seconds (`/proc/PID/stat`, whose
/// clock ticks are USER_HZ, 100 a second on Linux).
fn cpu_seconds(pid: i32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("the process lives");
    let after_name = stat.rsplit_once(") ").expect("pid (comm) state …").1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Fields 14 and 15 of stat(5); the state (field 3) is the first after the name.
    let ticks: u64 =
        fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
    ticks as f64 / 100.0
}

/// Issue 14: the presets are listed at 80×24 (numbered as their keys), key 3 sends the third to
/// the speaker, key 9 (no such preset) is refused on a line of its own and the show goes on; and
/// a show a minute past its planned start and not started says so in the terminal.
#[tokio::test]
async fn keys_1_to_9_send_the_presets_listed_at_80_columns_and_a_late_start_is_told() {
    let start = chrono::Utc::now() - chrono::Duration::seconds(90);
    let session = format!(
        "title = \"Presets\"\ntimezone = \"UTC\"\nstart = \"{}\"\n\n\
         [[preset]]\ntext = \"Please wrap up\"\n\n[[preset]]\ntext = \"Louder, please\"\n\n\
         [[preset]]\ntext = \"Slide 12 is frozen\"\n\n\
         [[segment]]\ntitle = \"Talk\"\nduration = \"10m\"\n",
        start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    let tmux = Tmux::start(80, 24, |dir| {
        format!("exec {}", podium_command(dir, &session, ""))
    });
    let base = tmux.base_url();
    let presets = tmux.wait_for("presets: 1 Please wrap up");
    let keys = tmux.wait_for("1-9 preset");
    for row in [&presets, &keys] {
        assert!(row.width() <= 80, "{} columns: {row}", row.width());
    }
    assert!(
        presets.contains("2 Louder, please · 3 Slide 12 is frozen"),
        "{presets}"
    );
    let late = tmux.wait_for("Not started");
    assert!(
        late.contains(&format!("planned for {}", start.format("%H:%M"))),
        "{late}"
    );

    tmux.keys(&["3"]);
    tmux.wait_for("✉ Slide 12 is frozen");
    let (_, state) = get_state(&base).await;
    assert_eq!(state["message"], "Slide 12 is frozen");
    assert_eq!(state["start_overdue"], true);

    tmux.keys(&["9"]);
    tmux.wait_for("refused: there is no preset 9: the session has presets 1 to 3");
    let (_, state) = get_state(&base).await;
    assert_eq!(state["message"], "Slide 12 is frozen", "unharmed");

    // `?` lists them again; space starts the show and the banner's flag goes.
    tmux.keys(&["?"]);
    tmux.keys(&["Space"]);
    // The keys are read by podium in their order, a moment later: wait for the start.
    let deadline = Instant::now() + Duration::from_secs(30);
    let started = loop {
        let (_, state) = get_state(&base).await;
        if state["phase"] != "ready" {
            break state;
        }
        assert!(
            Instant::now() < deadline,
            "space never started the show: {state}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(started["start_overdue"], false, "{started}");
    let screen = tmux.screen();
    let listed = screen
        .iter()
        .filter(|r| r.contains("presets: 1 Please wrap up"))
        .count();
    assert!(listed >= 2, "listed again on ?:\n{}", screen.join("\n"));
}

async fn get_state(base: &str) -> (u16, serde_json::Value) {
    let resp = reqwest::get(format!("{base}/api/state"))
        .await
        .expect("podium answers");
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("JSON"))
}
