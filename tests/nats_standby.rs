//! The standby over NATS (issue 13), with a real `nats-server` and the real binary: a primary
//! killed mid-segment is replaced by the standby within 5 s, with its deadline and every command
//! it acknowledged; the old primary, back, stays standby and says who is primary; a primary
//! stopped past its lease (SIGSTOP) refuses commands the moment it runs again and its states
//! carry the older epoch; a restart of nats-server loses no journal line and no viewer.

use std::time::Duration;

use futures_util::StreamExt;
use nix::sys::signal::Signal;
use serde_json::Value;
use tokio::time::Instant;

use crate::common::nats::NatsServer;
use crate::common::{Client, Process, SHORT, TOKEN};
use crate::nats_relay::Relay;
use crate::rooms::EventProcess;

/// The short show's event id on NATS (a session is named by its file) and its one room.
const EVENT: &str = "short";
const JOURNAL_SUBJECT: &str = "podium.short.main.journal";
const STATE_SUBJECT: &str = "podium.short.main.state";

/// A command that changes nothing a screen shows: it tells whether commands are accepted.
const PROBE: &str = r#"{"cmd":"blackout","on":false}"#;

/// POSTs a command; returns the status and the JSON answer.
async fn post(base: &str, body: &str) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .post(format!("{base}/api/command"))
        .bearer_auth(TOKEN)
        .body(body.to_owned())
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .expect("podium answers POST /api/command");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// Polls `base` with [`PROBE`] until a command applies; returns when (fails after `within`).
async fn accepts_commands_within(base: &str, within: Duration) -> (Instant, Value) {
    let deadline = Instant::now() + within;
    loop {
        let (status, answer) = post(base, PROBE).await;
        if status == 200 {
            return (Instant::now(), answer);
        }
        assert!(
            Instant::now() < deadline,
            "{base} still refuses commands after {within:?}: {status} {answer}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn primary(nats: &NatsServer, extra: &[&str]) -> Process {
    let url = nats.url();
    let mut args = vec!["run", SHORT, "--nats", url.as_str(), "--speed", "10"];
    args.extend_from_slice(extra);
    Process::start(&args).await
}

async fn standby(nats: &NatsServer) -> Process {
    primary(nats, &["--standby"]).await
}

/// The lines of the room's journal in JetStream, in order.
async fn replicated_lines(url: &str) -> Vec<String> {
    let client = async_nats::connect(url).await.expect("NATS connects");
    let js = async_nats::jetstream::new(client);
    let mut stream = js
        .get_stream("PODIUM_JOURNAL")
        .await
        .expect("the journal stream exists");
    let last = stream
        .info()
        .await
        .expect("stream info")
        .state
        .last_sequence;
    let consumer = stream
        .create_consumer(async_nats::jetstream::consumer::pull::OrderedConfig {
            filter_subject: JOURNAL_SUBJECT.into(),
            ..Default::default()
        })
        .await
        .expect("a consumer");
    let mut messages = consumer.messages().await.expect("messages");
    let mut lines = Vec::new();
    loop {
        let next = tokio::time::timeout(Duration::from_secs(2), messages.next()).await;
        let Ok(Some(Ok(message))) = next else { break };
        lines.push(String::from_utf8_lossy(&message.payload).into_owned());
        let seq = message.info().map(|i| i.stream_sequence).unwrap_or(0);
        if seq >= last {
            break;
        }
    }
    lines
}

fn journal_lines(process: &Process) -> Vec<String> {
    let path = process
        .journal_dir
        .as_ref()
        .expect("a journal chosen by the test helper")
        .path()
        .join("run.jsonl");
    std::fs::read_to_string(path)
        .expect("the journal reads")
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The issue's takeover: SIGKILL the primary mid-segment, right after its last acknowledged
/// command; the standby accepts commands within 5 s, on the deadline the primary published, with
/// every acknowledged command applied; the old primary, started again, stays standby and refuses
/// commands naming the new primary.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_primary_is_replaced_by_the_standby_with_every_acknowledged_command() {
    let nats = NatsServer::start();
    let mut first = primary(&nats, &[]).await;
    let second = standby(&nats).await;
    let (status, refused) = post(&second.base, PROBE).await;
    assert_eq!(status, 409, "a standby refuses commands: {refused}");
    // A relay and its viewer, who should notice nothing.
    let relay = Relay::start(&nats.url()).await;
    let relay_base = relay.base.clone();
    let mut far = Client::connect(&format!("{}/ws", relay_base.replacen("http", "ws", 1))).await;
    far.next_of("state").await;

    for body in [
        r#"{"cmd":"start"}"#,
        r#"{"cmd":"next"}"#,
        r#"{"cmd":"adjust","seconds":120}"#,
        r#"{"cmd":"message","text":"Two minutes more"}"#,
        r#"{"cmd":"pause"}"#,
    ] {
        let (status, answer) = post(&first.base, body).await;
        assert_eq!(status, 200, "{body}: {answer}");
    }
    // The last acknowledged command, then the kill at once.
    let (status, last) = post(&first.base, r#"{"cmd":"resume"}"#).await;
    assert_eq!(status, 200, "{last}");
    first.signal(Signal::SIGKILL);
    let killed = Instant::now();
    let _ = first.child.wait().await;
    let truth = last["ends_at_ms"]
        .as_i64()
        .expect("a running segment's deadline");

    let (at, state) = accepts_commands_within(&second.base, Duration::from_secs(10)).await;
    let took = at - killed;
    println!("the standby accepted commands {took:?} after the primary was killed");
    assert!(
        took <= Duration::from_secs(5),
        "the standby took {took:?} to become the primary"
    );
    assert_eq!(state["index"], 1, "next was applied: {state}");
    assert_eq!(state["phase"], "running", "resume was applied: {state}");
    assert_eq!(state["message"], "Two minutes more", "{state}");
    let ends = state["ends_at_ms"].as_i64().expect("a deadline");
    assert!(
        (ends - truth).abs() <= 1000,
        "the standby's deadline {ends} is {} ms from the primary's {truth}",
        ends - truth
    );
    // Every line the primary journaled is in the standby's journal, in order.
    let theirs = journal_lines(&first);
    let ours = journal_lines(&second);
    assert_eq!(ours[..theirs.len()], theirs[..], "the standby's journal");

    // The old primary comes back (same command line): the lease is held, so it is a standby.
    let back = primary(&nats, &[]).await;
    let (status, refused) = post(&back.base, PROBE).await;
    assert_eq!(status, 409, "{refused}");
    let why = refused["error"].as_str().unwrap_or_default();
    let holder = format!("pid {}", second.child.id().expect("running"));
    assert!(
        why.contains("standby") && why.contains(&holder),
        "the old primary names the primary ({holder}): {why}"
    );
    // And the new primary goes on; the relay's viewer sees it, and a command sent to the relay
    // reaches the new primary.
    let (status, answer) = post(&second.base, r#"{"cmd":"message","text":"still here"}"#).await;
    assert_eq!(status, 200, "{answer}");
    let seen = far.state_where(|s| s["message"] == "still here").await;
    assert_eq!(seen["ends_at_ms"], answer["ends_at_ms"], "{seen}");
    let (status, answer) = post(&relay_base, r#"{"cmd":"message","text":"via the relay"}"#).await;
    assert_eq!(status, 200, "{answer}");
    far.state_where(|s| s["message"] == "via the relay").await;
}

/// No split brain: a primary stopped (SIGSTOP) past its lease is replaced; once running again it
/// refuses every command at once, then follows the new primary, and what it still publishes
/// carries the older epoch, which receivers drop.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_primary_stopped_past_its_lease_refuses_commands_the_moment_it_runs_again() {
    let nats = NatsServer::start();
    let first = primary(&nats, &[]).await;
    let second = standby(&nats).await;
    let client = async_nats::connect(nats.url())
        .await
        .expect("NATS connects");
    let mut states = client
        .subscribe(STATE_SUBJECT)
        .await
        .expect("subscribed to the states");
    client.flush().await.expect("the subscription is in place");
    let (status, answer) = post(&first.base, r#"{"cmd":"start"}"#).await;
    assert_eq!(status, 200, "{answer}");
    // The old primary's epoch, as its states carry it.
    let started = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let message = states.next().await.expect("subscribed");
            let state: Value = serde_json::from_slice(&message.payload).expect("a state");
            if state["phase"] == "running" {
                return epoch_of(&message);
            }
        }
    })
    .await
    .expect("the primary publishes its states");

    first.signal(Signal::SIGSTOP);
    accepts_commands_within(&second.base, Duration::from_secs(15)).await;
    first.signal(Signal::SIGCONT);
    // At once: whatever it had not yet renewed, it no longer may.
    let (status, refused) = post(&first.base, PROBE).await;
    assert_eq!(
        status, 409,
        "the stopped primary accepted a command: {refused}"
    );
    // It then learns who holds the lease, and says so.
    let holder = format!("pid {}", second.child.id().expect("running"));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, refused) = post(&first.base, PROBE).await;
        assert_eq!(status, 409, "{refused}");
        let why = refused["error"].as_str().unwrap_or_default().to_owned();
        if why.contains(&holder) {
            break;
        }
        assert!(Instant::now() < deadline, "never named the primary: {why}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The new primary's states carry a higher epoch than any the old one published, before or
    // after SIGCONT: a receiver that keeps the highest epoch ends on the new primary's state.
    let (status, _) = post(&second.base, r#"{"cmd":"message","text":"new primary"}"#).await;
    assert_eq!(status, 200);
    let mut seen: Vec<(u64, Value)> = Vec::new();
    let until = Instant::now() + Duration::from_secs(3);
    while let Ok(Some(message)) = tokio::time::timeout_at(until, states.next()).await {
        let state: Value = serde_json::from_slice(&message.payload).expect("a state");
        seen.push((epoch_of(&message), state));
    }
    let epochs: Vec<u64> = seen.iter().map(|s| s.0).collect();
    let new = epochs.iter().copied().max().unwrap_or(0);
    assert!(
        new > started,
        "started with epoch {started}, then: {epochs:?}"
    );
    let kept = seen
        .iter()
        .fold(None::<&(u64, Value)>, |kept, next| match kept {
            Some(k) if k.0 > next.0 => Some(k),
            _ => Some(next),
        })
        .expect("a state");
    assert_eq!(kept.0, new, "epochs seen: {epochs:?}");
    assert_eq!(kept.1["message"], "new primary", "{}", kept.1);
}

/// A state's `Podium-Epoch`.
fn epoch_of(message: &async_nats::Message) -> u64 {
    message
        .headers
        .as_ref()
        .and_then(|h| h.get("Podium-Epoch"))
        .and_then(|v| v.as_str().parse::<u64>().ok())
        .expect("every state names its epoch")
}

/// NATS restarts mid-show: the origin's own viewers are served throughout, and the journal
/// lines recorded meanwhile reach JetStream once it is back, all of them, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nats_restart_loses_no_journal_line_and_no_viewer() {
    let mut nats = NatsServer::start();
    // A long lease: commands are still accepted during the short outage.
    let origin = primary(&nats, &["--lease", "20s"]).await;
    let follower = standby(&nats).await;
    let mut viewer = Client::connect(&origin.ws_url()).await;
    viewer.next_of("state").await;
    let (status, answer) = post(&origin.base, r#"{"cmd":"start"}"#).await;
    assert_eq!(status, 200, "{answer}");

    nats.kill();
    // Meanwhile: a command (journaled) and the show moving on (the opening's warning and
    // overtime, journaled by the controller) — all seen by the viewer.
    let (status, answer) = post(&origin.base, r#"{"cmd":"message","text":"offline"}"#).await;
    assert_eq!(status, 200, "{answer}");
    let overtime = viewer
        .state_where(|s| s["phase"] == "overtime" && s["message"] == "offline")
        .await;
    assert_eq!(overtime["index"], 0);
    let during = journal_lines(&origin);
    nats.restart();

    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let replicated = replicated_lines(&nats.url()).await;
        let local = journal_lines(&origin);
        if replicated.len() >= during.len() {
            assert_eq!(
                replicated[..],
                local[..replicated.len()],
                "JetStream holds the journal, in order"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "JetStream holds {} of the {} lines written meanwhile",
            replicated.len(),
            during.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The standby follows on after the restart: its copy holds every line.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !journal_lines(&follower).starts_with(&during) {
        assert!(
            Instant::now() < deadline,
            "the standby's copy: {:?}",
            journal_lines(&follower)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Still the primary, still serving; the standby still a standby.
    let (status, answer) = post(&origin.base, PROBE).await;
    assert_eq!(status, 200, "{answer}");
    let (status, answer) = post(&follower.base, PROBE).await;
    assert_eq!(status, 409, "{answer}");
    // The moderator was told, then told again when NATS had every line.
    let mut origin = origin;
    origin.terminate().await;
    let mut said = String::new();
    if let Some(mut stderr) = origin.child.stderr.take() {
        use tokio::io::AsyncReadExt;
        let _ = stderr.read_to_string(&mut said).await;
    }
    let trouble = said.find("JOURNAL NOT REPLICATED").expect(&said);
    let again = said.find("Journal replicated again").expect(&said);
    assert!(trouble < again, "{said}");
}

/// `podium takeover` releases the lease: the primary stops at its next renewal and the standby
/// takes over; the old primary then refuses commands, naming the new one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn podium_takeover_hands_the_show_to_the_standby() {
    let nats = NatsServer::start();
    let first = primary(&nats, &[]).await;
    let second = standby(&nats).await;
    let (status, answer) = post(&first.base, r#"{"cmd":"start"}"#).await;
    assert_eq!(status, 200, "{answer}");

    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_podium"))
        .args(["takeover", "--nats", &nats.url()])
        .output()
        .await
        .expect("podium takeover runs");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains(&format!("released the lease of {EVENT}")),
        "{said}"
    );

    let (_, state) = accepts_commands_within(&second.base, Duration::from_secs(15)).await;
    assert_eq!(state["phase"], "running", "the show goes on: {state}");
    let holder = format!("pid {}", second.child.id().expect("running"));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, refused) = post(&first.base, PROBE).await;
        let why = refused["error"].as_str().unwrap_or_default().to_owned();
        if status == 409 && why.contains(&holder) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the old primary: {status} {refused}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The seed's event file, absolute: each run has a working directory of its own.
const EVENT_FILE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/sessions/004_labour_mobility_event.toml"
);

/// An event's run under `--nats` in `dir` (its journals in `dir/runs`), as the rooms tests run one.
async fn run_event(dir: &tempfile::TempDir, nats: &NatsServer, extra: &[&str]) -> EventProcess {
    let url = nats.url();
    let mut args = vec!["run", EVENT_FILE, "--nats", url.as_str(), "--speed", "10"];
    args.extend_from_slice(extra);
    EventProcess::start(dir.path(), &args).await
}

async fn post_as(base: &str, room: &str, token: &str, body: &str) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .post(format!("{base}/r/{room}/api/command"))
        .bearer_auth(token)
        .body(body.to_owned())
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .expect("podium answers");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// An event of seven rooms (seed 004): the standby takes over every room with the primary's
/// room tokens and organiser token, each room where the primary left it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_standby_of_an_event_takes_over_every_room_with_the_same_tokens() {
    let nats = NatsServer::start();
    let (first_dir, second_dir) = (
        tempfile::tempdir().expect("a directory"),
        tempfile::tempdir().expect("a directory"),
    );
    let mut first = run_event(&first_dir, &nats, &[]).await;
    let second = run_event(&second_dir, &nats, &["--standby"]).await;
    assert_eq!(second.tokens, first.tokens, "each room keeps its token");
    assert_eq!(
        second.organiser, first.organiser,
        "the organiser's token too"
    );
    let token = first.tokens["xix-day1"].clone();
    let (status, answer) = post_as(&first.base, "xix-day1", &token, r#"{"cmd":"start"}"#).await;
    assert_eq!(status, 200, "{answer}");
    let body = r#"{"cmd":"message","text":"Room VIII, two minutes"}"#;
    let (status, answer) = post_as(&first.base, "viii-day2", &first.organiser, body).await;
    assert_eq!(status, 200, "{answer}");
    first.child.start_kill().expect("killed");
    let _ = first.child.wait().await;

    let deadline = Instant::now() + Duration::from_secs(10);
    let state = loop {
        let (status, state) = post_as(&second.base, "xix-day1", &token, PROBE).await;
        if status == 200 {
            break state;
        }
        assert!(Instant::now() < deadline, "still refused: {state}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(state["phase"], "running", "{state}");
    let (status, state) = post_as(&second.base, "viii-day2", &second.organiser, PROBE).await;
    assert_eq!(status, 200, "{state}");
    assert_eq!(state["message"], "Room VIII, two minutes", "{state}");
    assert_eq!(state["phase"], "ready", "{state}");
}

/// A journal line reaches JetStream before the state it causes is published: with nats-server
/// stopped (SIGSTOP), a command's state is withheld until JetStream acknowledges its line (at
/// most the bounded wait, 500 ms), and that line is in the stream.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_waits_for_jetstream_to_acknowledge_its_journal_line() {
    let nats = NatsServer::start();
    let origin = primary(&nats, &["--lease", "20s"]).await;
    let mut viewer = Client::connect(&origin.ws_url()).await;
    viewer.next_of("state").await;
    let server = nix::unistd::Pid::from_raw(nats.pid() as i32);
    nix::sys::signal::kill(server, Signal::SIGSTOP).expect("nats-server stopped");
    let base = origin.base.clone();
    let command =
        tokio::spawn(async move { post(&base, r#"{"cmd":"message","text":"held"}"#).await });
    let early = tokio::time::timeout(
        Duration::from_millis(200),
        viewer.state_where(|s| s["message"] == "held"),
    )
    .await;
    nix::sys::signal::kill(server, Signal::SIGCONT).expect("nats-server continues");
    assert!(
        early.is_err(),
        "the state was published before JetStream acknowledged its line"
    );
    let (status, answer) = command.await.expect("the command's task");
    assert_eq!(status, 200, "{answer}");
    viewer.state_where(|s| s["message"] == "held").await;
    let lines = replicated_lines(&nats.url()).await;
    assert!(
        lines.last().is_some_and(|l| l.contains("\"held\"")),
        "{lines:?}"
    );
}

/// NATS away for longer than the lease is no takeover: the primary could not renew, but neither
/// could anyone take over; once NATS is back the standby counts the lease again, the primary
/// renews and stays the primary.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nats_outage_longer_than_the_lease_is_no_takeover() {
    let mut nats = NatsServer::start();
    let first = primary(&nats, &[]).await;
    let second = standby(&nats).await;
    let (status, answer) = post(&first.base, r#"{"cmd":"start"}"#).await;
    assert_eq!(status, 200, "{answer}");
    nats.kill();
    tokio::time::sleep(Duration::from_secs(5)).await;
    nats.restart();
    accepts_commands_within(&first.base, Duration::from_secs(15)).await;
    // More than a lease later, the same primary.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let (status, answer) = post(&first.base, PROBE).await;
    assert_eq!(status, 200, "the primary after the outage: {answer}");
    let (status, refused) = post(&second.base, PROBE).await;
    assert_eq!(status, 409, "{refused}");
    let holder = format!("pid {}", first.child.id().expect("running"));
    assert!(
        refused["error"]
            .as_str()
            .is_some_and(|e| e.contains(&holder)),
        "{refused}"
    );
}

/// A primary that ends the run (SIGTERM, as Ctrl-C or `q`) leaves nothing to take over: its
/// journal's `end` line reached the standby, which stays a standby.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_its_primary_ended_is_not_taken_over() {
    let nats = NatsServer::start();
    let mut first = primary(&nats, &[]).await;
    let second = standby(&nats).await;
    let (status, answer) = post(&first.base, r#"{"cmd":"start"}"#).await;
    assert_eq!(status, 200, "{answer}");
    assert!(first.terminate().await.success());
    // Two leases later, still nobody's to command.
    tokio::time::sleep(Duration::from_secs(7)).await;
    let (status, refused) = post(&second.base, PROBE).await;
    assert_eq!(status, 409, "the standby took over an ended run: {refused}");
    let ours = journal_lines(&second);
    assert!(
        ours.last().is_some_and(|l| l.contains("\"type\":\"end\"")),
        "{ours:?}"
    );
}
