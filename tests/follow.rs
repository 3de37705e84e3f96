//! `podium follow` (issue 6) as a subprocess with stdout piped (its no-terminal mode, one line per
//! change) against the real server: it shows the countdown by the display rules, names itself in
//! the moderator's presence list, and reconnects by itself when the server comes back. Issue 10:
//! message only shows only the message, a clean server stop freezes the countdown and says so,
//! and nothing from the wire reaches the terminal as an escape sequence.

use crate::common;

use std::time::Duration;

use common::{Process, TOKEN};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

const SHOW: &str = "tests/sessions/short.toml";

struct Follower {
    _child: Child,
    lines: Lines<BufReader<ChildStdout>>,
    seen: Vec<String>,
}

impl Follower {
    fn start(url: &str, name: &str) -> Follower {
        let mut child = Command::new(env!("CARGO_BIN_EXE_podium"))
            .args(["follow", url, "--name", name])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("podium follow starts");
        let stdout = child.stdout.take().expect("piped");
        Follower {
            _child: child,
            lines: BufReader::new(stdout).lines(),
            seen: Vec::new(),
        }
    }

    /// Reads lines until one satisfies `pred` (fails after 30 s); returns it.
    async fn until(&mut self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let line = tokio::time::timeout_at(deadline, self.lines.next_line())
                .await
                .unwrap_or_else(|_| panic!("no {what} within 30 s; seen: {:#?}", self.seen))
                .expect("stdout readable")
                .unwrap_or_else(|| panic!("podium follow exited before {what}: {:#?}", self.seen));
            self.seen.push(line.clone());
            if pred(&line) {
                return line;
            }
        }
    }
}

impl Follower {
    /// Every line printed within `window` (the follower keeps running).
    async fn lines_within(&mut self, window: Duration) -> Vec<String> {
        let end = tokio::time::Instant::now() + window;
        let mut got = Vec::new();
        while let Ok(line) = tokio::time::timeout_at(end, self.lines.next_line()).await {
            match line.expect("stdout readable") {
                Some(line) => {
                    self.seen.push(line.clone());
                    got.push(line);
                }
                None => break,
            }
        }
        got
    }
}

/// The digits and phase of a line `[1/3] Opening — Chair  1:59  running`.
fn digits_and_phase(line: &str) -> Option<(&str, &str)> {
    let mut fields = line.rsplit("  ");
    let phase = fields.next()?;
    let digits = fields.next()?;
    Some((digits, phase))
}

/// `1:59` → 119, `+0:02` → -2.
fn seconds(digits: &str) -> i64 {
    let (sign, clock) = digits
        .strip_prefix('+')
        .map_or((1, digits), |rest| (-1, rest));
    let (m, s) = clock.split_once(':').expect("m:ss");
    sign * (m.parse::<i64>().expect("minutes") * 60 + s.parse::<i64>().expect("seconds"))
}

#[tokio::test]
async fn follow_prints_the_countdown_by_the_display_rules() {
    // Speed 20: a show second lasts 50 real ms; the 2:00 "Opening" runs out in 6 s.
    let server = Process::start(&["run", SHOW, "--speed", "20"]).await;
    let mut follower = Follower::start(&format!("{}/", server.base), "Terminal-9");
    let ready = follower
        .until("the ready line", |l| l.ends_with("ready"))
        .await;
    assert_eq!(ready, "[1/3] Opening — Chair  2:00  ready");

    // The moderator sees the terminal by name, with the estimate it reports.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let body: Value = reqwest::Client::new()
            .get(format!("{}/api/presence", server.base))
            .bearer_auth(TOKEN)
            .send()
            .await
            .expect("podium answers")
            .json()
            .await
            .expect("JSON");
        let screens = body["screens"].as_array().cloned().unwrap_or_default();
        let me = screens.iter().find(|s| s["name"] == "Terminal-9");
        if let Some(me) = me.filter(|s| s["rtt_ms"].is_number()) {
            assert_eq!(me["kind"], "terminal", "{body}");
            assert!(me["rtt_ms"].as_f64().is_some_and(|r| r < 1_000.0), "{body}");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    server.command(r#"{"cmd":"start"}"#).await;
    follower
        .until("overtime at +0:03", |l| l.contains("  +0:03  "))
        .await;
    let shown: Vec<(i64, String)> = follower
        .seen
        .iter()
        .skip_while(|l| !l.ends_with("running") && !l.ends_with("warning"))
        .filter_map(|l| digits_and_phase(l))
        .map(|(d, p)| (seconds(d), p.to_owned()))
        .collect();
    let text = format!("{:#?}", follower.seen);
    // A 2:00 segment starts at 2:00, never 1:59 first.
    assert_eq!(shown[0], (120, "running".to_owned()), "{text}");
    // The countdown only moves down: no second shown twice, never back.
    for pair in shown.windows(2) {
        assert!(
            pair[1].0 < pair[0].0,
            "shown out of order: {pair:?}\n{text}"
        );
    }
    // Phases follow the digits: warning from 1:00 (warn = 1m), overtime from 0:00, which shows
    // once, then +0:01 up.
    for (secs, phase) in &shown {
        let expected = match secs {
            61.. => "running",
            1..=60 => "warning",
            _ => "overtime",
        };
        assert_eq!(phase, expected, "at {secs}: {text}");
    }
    assert!(shown.iter().any(|(s, _)| *s == 0), "0:00 shown: {text}");
    // Most seconds are shown (each lasts 50 ms here; a loaded machine may miss a few, and the
    // harness measures the real thing at speed 1).
    assert!(
        shown.len() >= 100,
        "{} of 123 seconds shown: {text}",
        shown.len()
    );
}

#[tokio::test]
async fn follow_reconnects_by_itself_when_the_server_comes_back() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let bind = format!("127.0.0.1:{port}");
    let mut first = Process::start(&["run", SHOW, "--speed", "1", "--bind", &bind]).await;
    let mut follower = Follower::start(&format!("http://{bind}/"), "Tech");
    follower
        .until("the ready line", |l| l.ends_with("ready"))
        .await;
    first.command(r#"{"cmd":"next"}"#).await;
    follower
        .until("the second segment", |l| l.starts_with("[2/3] Keynote"))
        .await;

    let status = first.terminate().await;
    assert!(status.success(), "{status}");
    // A clean stop: the follower says so and waits for the server to come back.
    follower
        .until("server stopped", |l| l.contains("server stopped"))
        .await;

    // A new server on the same address: the follower finds it and shows its state.
    let _second = Process::start(&["run", SHOW, "--speed", "1", "--bind", &bind]).await;
    let line = follower
        .until("the new server's state", |l| {
            l.starts_with("[1/3] Opening") && !l.contains("reconnecting")
        })
        .await;
    assert_eq!(line, "[1/3] Opening — Chair  2:00  ready");
}

/// Issue 10: message only (`focus`) shows the speaker only the message, like the page.
#[tokio::test]
async fn follow_shows_only_the_message_in_message_only_mode() {
    let server = Process::start(&["run", SHOW, "--speed", "20"]).await;
    let mut follower = Follower::start(&format!("{}/", server.base), "Focus");
    follower
        .until("the ready line", |l| l.ends_with("ready"))
        .await;
    server.command(r#"{"cmd":"start"}"#).await;
    server
        .command(r#"{"cmd":"message","text":"Your microphone is muted"}"#)
        .await;
    server.command(r#"{"cmd":"focus","on":true}"#).await;
    let line = follower
        .until("the message alone", |l| !l.starts_with('['))
        .await;
    assert_eq!(line, "✉ Your microphone is muted", "{:#?}", follower.seen);
    // The countdown runs on (20 show seconds a real second), but nothing else is shown.
    let later = follower.lines_within(Duration::from_secs(1)).await;
    assert!(later.is_empty(), "only the message: {later:#?}");
    server.command(r#"{"cmd":"focus","on":false}"#).await;
    follower
        .until("the countdown again", |l| {
            l.starts_with("[1/3] Opening") && l.contains("✉ Your microphone is muted")
        })
        .await;
}

/// Issue 10: on the server's `bye` (a clean stop) the follower stops counting and says "server
/// stopped", like the page, and waits for the server to come back.
#[tokio::test]
async fn follow_stops_counting_when_the_server_stops() {
    let mut server = Process::start(&["run", SHOW, "--speed", "20"]).await;
    let mut follower = Follower::start(&format!("{}/", server.base), "Bye");
    follower
        .until("the ready line", |l| l.ends_with("ready"))
        .await;
    server.command(r#"{"cmd":"start"}"#).await;
    follower
        .until("the countdown", |l| l.ends_with("running"))
        .await;
    let status = server.terminate().await;
    assert!(status.success(), "{status}");
    let stopped = follower
        .until("server stopped", |l| l.contains("server stopped"))
        .await;
    // 2 s at speed 20: 40 show seconds in which a live countdown would have moved.
    let later = follower.lines_within(Duration::from_secs(2)).await;
    let frozen = stopped.split("  ").nth(1).map(str::to_owned);
    for line in &later {
        assert_eq!(
            line.split("  ").nth(1).map(str::to_owned),
            frozen,
            "the countdown stopped with the server: {:#?}",
            follower.seen
        );
        assert!(line.contains("server stopped"), "{:#?}", follower.seen);
    }
}

/// Issue 10: titles, speakers and the show's title from a hostile server (here the real podium
/// with a session file full of escape sequences) reach the terminal without a control character.
#[tokio::test]
async fn follow_prints_no_escape_sequence_from_the_wire() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let session = dir.path().join("hostile.toml");
    std::fs::write(
        &session,
        r#"title = "Show\u001b]0;retitled\u0007"
timezone = "UTC"

[[segment]]
title = "Opening\u001b]52;c;ZWNobyBwd25lZA==\u0007 talk"
speaker = "Chair\u001b[2J\u001b[6n\u009b31m"
duration = "1m"

[[segment]]
title = "Next\u001b[1;1Hup"
duration = "1m"
"#,
    )
    .expect("session written");
    let session = session.to_string_lossy().into_owned();
    let server = Process::start(&["run", &session, "--speed", "60"]).await;
    let mut follower = Follower::start(&format!("{}/", server.base), "Hostile");
    follower
        .until("the ready line", |l| l.ends_with("ready"))
        .await;
    server.command(r#"{"cmd":"start"}"#).await;
    server.command(r#"{"cmd":"next"}"#).await;
    server.command(r#"{"cmd":"next"}"#).await;
    follower
        .until("the finished line", |l| l.ends_with("finished"))
        .await;
    let text = follower.seen.join(" | ");
    assert!(
        !text.chars().any(char::is_control),
        "control characters from the wire reached the terminal: {:#?}",
        follower.seen
    );
    assert!(
        text.contains("Opening]52;c;"),
        "the text itself is kept: {text}"
    );
    assert!(text.contains("Chair"), "{text}");
}

/// Issue 11: a server that goes silent without closing anything (SIGSTOP: the socket stays open,
/// no frame comes, no `bye`) is noticed within 3 s by the missing `alive` frames and said as a
/// lost connection; once the server runs again the follower reconnects by itself.
#[tokio::test]
async fn follow_notices_a_silent_server_within_seconds_and_recovers() {
    use nix::sys::signal::Signal;
    let server = Process::start(&["run", SHOW, "--speed", "1"]).await;
    let mut follower = Follower::start(&format!("{}/", server.base), "Silent");
    follower
        .until("the ready line", |l| l.ends_with("ready"))
        .await;
    // Past the first ping burst, so only the idle traffic is left.
    tokio::time::sleep(Duration::from_secs(1)).await;

    server.signal(Signal::SIGSTOP);
    let stopped = std::time::Instant::now();
    let lost = follower
        .until("the lost connection", |l| l.contains("went silent"))
        .await;
    let noticed = stopped.elapsed();
    server.signal(Signal::SIGCONT);
    eprintln!("a silent server noticed after {noticed:?}: {lost}");
    assert!(lost.contains("reconnecting"), "{:#?}", follower.seen);
    // The rule is 3 s after the last frame; the bound leaves room for a loaded machine.
    assert!(
        noticed <= Duration::from_secs(6),
        "noticed only after {noticed:?}: {:#?}",
        follower.seen
    );

    // Back: the ready line with no status after it.
    follower
        .until("the state again", |l| {
            l == "[1/3] Opening — Chair  2:00  ready"
        })
        .await;
}
