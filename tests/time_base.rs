//! One time base (issue 11): every timestamp on the wire comes from the run's `Clock`, so a step of
//! the server machine's wall clock during a show (NTP, a laptop waking) moves no screen's countdown.
//! The server here runs on a wall clock the test steps by +90 s mid-show; the screens are on
//! another machine (their clocks do not step): a WebSocket client syncing with pongs through the
//! `ClockSync` estimator `podium follow` uses, and the real `podium follow` as a subprocess.
//!
//! The controller's timing runs under tokio's paused clock (the `Clock` reads tokio's `Instant`):
//! phase changes, end actions and the heartbeat land on their exact instants, with no tolerance and
//! no `--speed`. The wall-clock step test runs in real time: real sockets on loopback and a
//! subprocess, around which the paused clock would fire the timeouts at once.

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use common::{Client, TOKEN};
use podium::clock::{Clock, WallClock};
use podium::controller::{self, HEARTBEAT, Handle};
use podium::engine::{Command, Phase, ShowTime};
use podium::follow::sync::ClockSync;
use podium::server::{self, Token};
use podium::show;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio_util::sync::CancellationToken;

/// How far the server's wall clock steps mid-show.
const STEP_MS: i64 = 90_000;
/// How far a screen's countdown may be from the truth: round trips on a loaded machine, never a step.
const TOLERANCE_MS: f64 = 1_500.0;

/// The server machine's wall clock: the system's, plus a step the test sets.
#[derive(Default)]
struct SteppedWall {
    step_ms: AtomicI64,
}

impl SteppedWall {
    fn step(&self, ms: i64) {
        self.step_ms.fetch_add(ms, Ordering::SeqCst);
    }
}

impl WallClock for SteppedWall {
    fn unix_now_ms(&self) -> f64 {
        podium::clock::unix_now_ms() + self.step_ms.load(Ordering::SeqCst) as f64
    }
}

/// Another machine's clock: monotonic, anchored to its wall clock once (as a page's is).
#[derive(Clone, Copy)]
struct Elsewhere {
    origin: std::time::Instant,
    unix_at_origin_ms: f64,
}

impl Elsewhere {
    fn new() -> Elsewhere {
        let unix = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_secs_f64()
            * 1000.0;
        Elsewhere {
            origin: std::time::Instant::now(),
            unix_at_origin_ms: unix,
        }
    }

    fn now_ms(&self) -> f64 {
        self.unix_at_origin_ms + self.origin.elapsed().as_secs_f64() * 1000.0
    }
}

/// A screen doing what the page and `podium follow` do: pings with its own clock, estimates the
/// server's clock from the pongs, and derives the countdown from `ends_at_ms`.
struct Screen {
    client: Client,
    sync: ClockSync,
    clock: Elsewhere,
    pings: u64,
    /// The state the server sent on connect.
    first: Value,
}

impl Screen {
    async fn connect(addr: std::net::SocketAddr, name: &str, clock: Elsewhere) -> Screen {
        let mut client = Client::connect(&format!("ws://{addr}/ws?name={name}&kind=page")).await;
        let mut sync = ClockSync::default();
        sync.new_socket();
        let state = client.next_of("state").await;
        sync.on_state(
            state["server_time_ms"].as_f64().expect("server_time_ms"),
            clock.now_ms(),
        );
        Screen {
            client,
            sync,
            clock,
            pings: 0,
            first: state,
        }
    }

    /// `n` ping/pong samples, one after another.
    async fn sync(&mut self, n: u32) {
        for _ in 0..n {
            self.pings += 1;
            let sent = self.clock.now_ms();
            self.client
                .send_text(&format!(
                    r#"{{"type":"ping","id":{},"client_ms":{sent}}}"#,
                    self.pings
                ))
                .await;
            let pong = self.client.next_of("pong").await;
            assert_eq!(pong["id"], self.pings);
            let server_ms = pong["server_ms"].as_f64().expect("server_ms");
            self.sync.on_pong(sent, server_ms, self.clock.now_ms());
        }
    }

    /// What this screen shows now for a segment ending at `ends_at_ms`, in ms of show time.
    fn remaining_ms(&mut self, ends_at_ms: f64) -> f64 {
        ends_at_ms - self.sync.server_now(self.clock.now_ms())
    }
}

/// The truth: the run's own clock (speed 1: show ms are real ms).
fn true_remaining_ms(clock: &Clock, ends_at_ms: f64) -> f64 {
    ends_at_ms - clock.now_unix_ms()
}

fn assert_shows_the_right_second(who: &str, screen: &mut Screen, clock: &Clock, ends_at_ms: f64) {
    let shown = screen.remaining_ms(ends_at_ms);
    let truth = true_remaining_ms(clock, ends_at_ms);
    assert!(
        (shown - truth).abs() < TOLERANCE_MS,
        "{who} shows {} (remaining {shown:.0} ms) where the show has {} ({truth:.0} ms)",
        podium_core::display::digits(shown),
        podium_core::display::digits(truth),
    );
}

/// Issue 11: a +90 s step of the server's wall clock mid-show. Before the fix pongs were stamped
/// from the raw wall clock and the deadlines from the run's clock: every screen that synced after
/// the step counted 90 s too fast.
#[tokio::test]
async fn a_wall_clock_step_mid_show_moves_no_screen() {
    let wall = SteppedWall::default();
    let show = Arc::new(show::load_file(std::path::Path::new(common::SHORT)).expect("loads"));
    let clock = Clock::new_on(&wall, 1.0);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind port 0");
    let addr = listener.local_addr().expect("bound");
    let shutdown = CancellationToken::new();
    let _stop = shutdown.clone().drop_guard();
    let (control, _task) = controller::spawn(show, clock, shutdown.clone());
    tokio::spawn(server::serve_with(
        listener,
        control,
        server::Config::new(Token::new(TOKEN)),
        shutdown.clone(),
    ));
    let elsewhere = Elsewhere::new();

    let mut before = Screen::connect(addr, "Before", elsewhere).await;
    before
        .client
        .send_command(TOKEN, r#"{"cmd":"start"}"#)
        .await;
    let running = before.client.state_where(|s| s["phase"] == "running").await;
    let ends_at_ms = running["ends_at_ms"].as_f64().expect("running: a deadline");
    before.sync(8).await;
    assert_shows_the_right_second("a screen before the step", &mut before, &clock, ends_at_ms);

    wall.step(STEP_MS);

    // The screen that was there keeps syncing: after 16 more pongs none of its samples predates
    // the step.
    before.sync(17).await;
    assert_shows_the_right_second(
        "the same screen after the step",
        &mut before,
        &clock,
        ends_at_ms,
    );
    // A screen that (re)connects after the step.
    let mut after = Screen::connect(addr, "After", elsewhere).await;
    after.sync(8).await;
    assert_shows_the_right_second(
        "a screen connected after the step",
        &mut after,
        &clock,
        ends_at_ms,
    );
    // The state it was sent on connect: the same deadline, and the run's own time.
    let state = &after.first;
    assert_eq!(state["ends_at_ms"].as_f64(), Some(ends_at_ms));
    let server_time = state["server_time_ms"].as_f64().expect("server_time_ms");
    assert!(
        (server_time - clock.now_unix_ms()).abs() < TOLERANCE_MS,
        "server_time_ms {server_time} vs the run's clock {}",
        clock.now_unix_ms()
    );

    // The moderator's list stamps the connection on the same time base.
    let presence: Value = reqwest::Client::new()
        .get(format!("http://{addr}/api/presence"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("presence answered")
        .json()
        .await
        .expect("JSON");
    let screens = presence["screens"].as_array().expect("screens");
    let listed = screens
        .iter()
        .find(|s| s["name"] == "After")
        .unwrap_or_else(|| panic!("the new screen is listed: {presence}"));
    let connected_at = listed["connected_at_ms"].as_f64().expect("connected_at_ms");
    let now = clock.now_unix_ms();
    assert!(
        connected_at <= now && now - connected_at < 30_000.0,
        "connected_at_ms {connected_at} is not on the run's clock ({now})"
    );

    // The real `podium follow`, started after the step, prints the right second.
    let mut follow = tokio::process::Command::new(env!("CARGO_BIN_EXE_podium"))
        .args(["follow", &format!("http://{addr}/"), "--name", "Follow"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("podium follow starts");
    let mut lines = BufReader::new(follow.stdout.take().expect("piped")).lines();
    let mut checked = 0;
    let window = tokio::time::Instant::now() + Duration::from_secs(30);
    while checked < 3 {
        let line = tokio::time::timeout_at(window, lines.next_line())
            .await
            .expect("three countdown lines within 30 s")
            .expect("stdout readable")
            .expect("podium follow runs");
        let Some(shown_s) = shown_seconds(&line) else {
            continue;
        };
        // A line is printed as the shown second changes: the truth is just below it then.
        let truth = true_remaining_ms(&clock, ends_at_ms);
        let shown_ms = shown_s as f64 * 1000.0;
        assert!(
            (shown_ms - truth).abs() < TOLERANCE_MS + 1000.0,
            "podium follow printed {line:?} where the show has {}",
            podium_core::display::digits(truth)
        );
        checked += 1;
    }
}

/// The seconds of a running line `[1/3] Opening — Chair  1:59  running`.
fn shown_seconds(line: &str) -> Option<i64> {
    let mut fields = line.rsplit("  ");
    let phase = fields.next()?;
    if phase != "running" && phase != "warning" {
        return None;
    }
    let digits = fields.next()?;
    let (m, s) = digits.split_once(':')?;
    Some(m.parse::<i64>().ok()? * 60 + s.parse::<i64>().ok()?)
}

/// A controller (no server) on a fresh clock; under the paused clock, show time zero is now.
fn controller_for(session: &str) -> (Handle, Clock, tokio_util::sync::DropGuard) {
    let show = Arc::new(show::load_file(std::path::Path::new(session)).expect("loads"));
    let clock = Clock::new(1.0);
    let shutdown = CancellationToken::new();
    let (control, _task) = controller::spawn(show, clock, shutdown.clone());
    (control, clock, shutdown.drop_guard())
}

/// Every published change of phase or segment until `done`, with the show time it was published
/// at and how long after `t0` (tokio's clock) it arrived.
async fn changes_until(
    control: &Handle,
    t0: tokio::time::Instant,
    done: impl Fn(Phase) -> bool,
) -> Vec<(usize, Phase, ShowTime, Duration)> {
    let mut states = control.subscribe();
    let mut last = {
        let s = &states.borrow_and_update().snapshot;
        (s.index, s.phase)
    };
    let mut seen = Vec::new();
    while !done(last.1) {
        states.changed().await.expect("the controller runs");
        let published = states.borrow_and_update().clone();
        let s = &published.snapshot;
        if (s.index, s.phase) != last {
            last = (s.index, s.phase);
            seen.push((s.index, s.phase, s.at, t0.elapsed()));
        }
    }
    seen
}

/// The opening (2 min, warn 1 min, max 3 min) warns, runs out and passes its max at exactly their
/// instants of show time, and exactly then on tokio's clock (speed 1). Replaces the tolerance of
/// `server::phases_progress_in_show_time` (which keeps checking the wire, in real time).
#[tokio::test(start_paused = true)]
async fn phases_change_at_their_exact_instants() {
    let (control, clock, _stop) = controller_for(common::SHORT);
    let t0 = tokio::time::Instant::now();
    let started = control
        .command(Command::Start)
        .await
        .expect("runs")
        .expect("starts");
    assert_eq!(started.snapshot.at, ShowTime(0));
    assert_eq!(started.snapshot.deadline, Some(ShowTime(120_000)));
    let changes = changes_until(&control, t0, |p| p == Phase::OverMax).await;
    let (s, ms) = (Duration::from_secs, Duration::from_millis);
    assert_eq!(
        changes,
        [
            (0, Phase::Warning, ShowTime(60_000), s(60)),
            // Overtime is remaining < 0: the first millisecond past the deadline (and past max).
            (0, Phase::Overtime, ShowTime(120_001), ms(120_001)),
            (0, Phase::OverMax, ShowTime(180_001), ms(180_001)),
        ]
    );
    // What a screen is sent then: the deadline on the run's clock, never moved.
    let state: Value = serde_json::from_str(&control.subscribe().borrow().json).expect("JSON");
    assert_eq!(state["ends_at_ms"], clock.unix_ms(ShowTime(120_000)));
    assert_eq!(state["server_time_ms"], clock.unix_ms(ShowTime(180_001)));
}

/// `on_end = "next"` hands over exactly at the deadline; `"stop"` stops exactly at zero and stays
/// stopped (an hour later, still 0:00). Replaces the 300-ms wait of
/// `server::end_actions_hand_over_and_stop_in_show_time`.
#[tokio::test(start_paused = true)]
async fn end_actions_take_effect_at_the_exact_deadline() {
    let (control, _clock, _stop) = controller_for("tests/sessions/ends.toml");
    let t0 = tokio::time::Instant::now();
    control
        .command(Command::Start)
        .await
        .expect("runs")
        .expect("starts");
    let changes = changes_until(&control, t0, |p| p == Phase::Stopped).await;
    let s = Duration::from_secs;
    assert_eq!(
        changes,
        [
            (0, Phase::Warning, ShowTime(40_000), s(40)),
            (1, Phase::Running, ShowTime(60_000), s(60)),
            (1, Phase::Warning, ShowTime(100_000), s(100)),
            (1, Phase::Stopped, ShowTime(120_000), s(120)),
        ]
    );
    let talk = control.fresh().await.expect("runs");
    assert_eq!(talk.snapshot.index, 1);
    tokio::time::sleep(Duration::from_secs(3600)).await;
    let later = control.fresh().await.expect("runs");
    assert_eq!(
        (
            later.snapshot.index,
            later.snapshot.phase,
            later.snapshot.remaining_ms
        ),
        (1, Phase::Stopped, 0),
        "an hour later: {:?}",
        later.snapshot
    );
    assert_eq!(later.snapshot.at, ShowTime(3_720_000));
}

/// The stored state is refreshed every [`HEARTBEAT`] exactly, so a viewer connecting at any moment
/// gets a state at most a heartbeat old (`server_time_ms` of the last whole heartbeat).
#[tokio::test(start_paused = true)]
async fn the_stored_state_is_refreshed_every_heartbeat_exactly() {
    let (control, clock, _stop) = controller_for(common::SHORT);
    let states = control.subscribe();
    let beat = HEARTBEAT.as_millis() as i64;
    for n in 0..5_i64 {
        tokio::time::sleep_until(clock.instant_of(ShowTime(n * beat + beat / 2))).await;
        let stored = states.borrow().clone();
        assert_eq!(
            stored.snapshot.at,
            ShowTime(n * beat),
            "at {n}.5 heartbeats"
        );
        let json: Value = serde_json::from_str(&stored.json).expect("JSON");
        assert_eq!(json["server_time_ms"], clock.unix_ms(ShowTime(n * beat)));
    }
}
