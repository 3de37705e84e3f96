//! Measurement harness (issue 6): do all screens flip to the next second together, on time?
//!
//! Starts the real `podium` at speed 1, opens headless Chromium speaker pages — one directly on
//! loopback, one through a slow link (150 ± 30 ms round trip, 1 % loss) — starts a segment and has
//! each page record, with a `MutationObserver` on the digits, the instant
//! (`performance.timeOrigin + performance.now()`, the machine's clock) each displayed second
//! appeared. Each instant is compared with the server's true boundary: the digits showing `n`
//! seconds are due at `ends_at_ms - n * 1000 / speed`. Beside each page, a `podium follow` on
//! the same path (its stdout piped, each line stamped on arrival) is scored the same way: the
//! Rust client's clock sync and display rules. Reported per screen, after the first 5 s:
//! p50 / p99 / max of the absolute error, the mean (bias), and any second shown twice or skipped.
//!
//! The slow link, in order of preference:
//! 1. **netem**: a network namespace joined to the host by a veth pair on a private /30
//!    (10.206.<n>.0/30), `tc netem delay 75ms 15ms loss 0.5%` on both ends (so 150 ± ~21 ms round
//!    trip and ~1 % loss per round trip, symmetric like a real long link); chromedriver and its
//!    Chromium run inside the namespace and reach podium at the host's end of the veth. Torn
//!    down afterwards. Needs CAP_NET_ADMIN and a kernel with `sch_netem`.
//! 2. Otherwise the harness **says so** and emulates the link in user space: a TCP proxy on
//!    loopback holding each chunk 75 ± 15 ms per direction, in order, and holding 0.5 % of the
//!    chunks another 200 ms (what TCP's minimum retransmission timeout makes of a lost segment).
//!    The page connects to the proxy, so all its traffic (page load, socket, pings) crosses it.
//!
//! Runs in `cargo test` (25 s: 5 s warm-up, 20 s scored; `PODIUM_SYNC_SECS=100` scores longer).
//! It always asserts that no second is shown twice or skipped and that the median error meets the
//! issue's targets (≤ 20 ms loopback, ≤ 50 ms on the slow link). It asserts the p99 targets only
//! when a p99 means something — at least 100 scored changes (`PODIUM_SYNC_SECS=100`) — and the
//! machine is not overloaded (one-minute load above the number of cores, where a starved renderer
//! is late whatever the page does), and not with `PODIUM_SYNC_REPORT_ONLY=1`; otherwise the
//! report says the p99 targets were not asserted, and why. The report is printed and written to
//! `target/sync-report.txt`.
//!
//! `PODIUM_SYNC_NETNS_WITHOUT_NETEM=1` checks the namespace plumbing on a kernel without netem
//! (the second page then crosses an undelayed veth, and the report says so).

use crate::common;
mod relays;
mod slow_link;

use std::net::SocketAddr;
use std::time::Duration;

use common::Process;
use common::browser::{Browser, Driver, Scratch, browser_available};
use slow_link::{NetemLink, delay_proxy};

const SHOW: &str = "tests/sessions/short.toml";
/// Changes in the first seconds after the start are not scored (the issue's warm-up).
const WARM_UP_MS: f64 = 5_000.0;
const LOOPBACK_P99_MS: f64 = 20.0;
const SLOW_LINK_P99_MS: f64 = 50.0;

/// Installed in each page: records [text, instant] whenever the digits change.
const RECORDER: &str = r#"
    const digits = document.getElementById('remaining');
    window.__podiumChanges = [];
    new MutationObserver(() => {
        window.__podiumChanges.push([digits.textContent, performance.timeOrigin + performance.now()]);
    }).observe(digits, { childList: true, characterData: true, subtree: true });
    return true;
"#;

// ---- Measurement -----------------------------------------------------------------------------

/// `1:59` → 119, `0:00` → 0, `+0:02` → -2; `None` for anything else ("Finished", "–:––").
fn shown_seconds(digits: &str) -> Option<i64> {
    let (sign, clock) = match digits.strip_prefix('+') {
        Some(rest) => (-1, rest),
        None => (1, digits),
    };
    let mut total = 0i64;
    for part in clock.split(':') {
        total = total * 60 + part.parse::<i64>().ok()?;
    }
    Some(sign * total)
}

/// What one page did, scored against the server's boundaries.
#[derive(Debug)]
struct Score {
    page: String,
    changes: usize,
    p50: f64,
    p99: f64,
    max: f64,
    mean: f64,
    /// Consecutive shown values that did not step down by exactly one second.
    faults: Vec<String>,
    /// The three largest errors, signed (positive: late), with the digits shown.
    worst: Vec<(f64, String)>,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Scores `changes` ([text, unix ms]) of a segment ending at `ends_at_ms`, started at `start_ms`,
/// between `start_ms + WARM_UP_MS` and `until_ms`.
fn score(
    page: &str,
    changes: &[(String, f64)],
    ends_at_ms: f64,
    start_ms: f64,
    until_ms: f64,
) -> Score {
    let scored: Vec<(i64, f64)> = changes
        .iter()
        .filter_map(|(text, at)| shown_seconds(text).map(|s| (s, *at)))
        .filter(|(s, _)| {
            let due = ends_at_ms - *s as f64 * 1000.0;
            due >= start_ms + WARM_UP_MS && due <= until_ms
        })
        .collect();
    let errors: Vec<f64> = scored
        .iter()
        .map(|(s, at)| at - (ends_at_ms - *s as f64 * 1000.0))
        .collect();
    let mut abs: Vec<f64> = errors.iter().map(|e| e.abs()).collect();
    abs.sort_by(f64::total_cmp);
    let mut worst: Vec<(f64, String)> = scored
        .iter()
        .zip(&errors)
        .map(|((s, _), e)| (*e, s.to_string()))
        .collect();
    worst.sort_by(|a, b| b.0.abs().total_cmp(&a.0.abs()));
    worst.truncate(3);
    let faults = scored
        .windows(2)
        .filter(|w| w[1].0 != w[0].0 - 1)
        .map(|w| format!("{} then {}", w[0].0, w[1].0))
        .collect();
    Score {
        page: page.to_owned(),
        changes: scored.len(),
        p50: percentile(&abs, 50.0),
        p99: percentile(&abs, 99.0),
        max: abs.last().copied().unwrap_or(f64::NAN),
        mean: errors.iter().sum::<f64>() / errors.len().max(1) as f64,
        faults,
        worst,
    }
}

#[test]
fn scoring_follows_the_boundaries() {
    let changes = vec![
        ("0:03".to_owned(), 6_000.0 + 3.0), // unscored: in the warm-up
        ("0:02".to_owned(), 8_000.0 + 4.0),
        ("0:01".to_owned(), 9_000.0 - 2.0),
        ("0:00".to_owned(), 10_000.0 + 10.0),
        ("+0:01".to_owned(), 11_000.0 + 1.0),
        ("+0:03".to_owned(), 13_000.0 + 1.0),
    ];
    let s = score("t", &changes, 10_000.0, 3_000.0, 20_000.0);
    assert_eq!(s.changes, 5);
    assert_eq!((s.p50, s.max), (2.0, 10.0));
    assert_eq!(s.faults, ["-1 then -3"]);
    assert_eq!(shown_seconds("1:00:05"), Some(3605));
    assert_eq!(shown_seconds("Finished"), None);
}

// ---- Terminal followers ----------------------------------------------------------------------

/// `podium follow` with stdout piped (one line per change), each line stamped on arrival with the
/// machine's clock; killed on drop.
struct Follower {
    _child: tokio::process::Child,
    changes: std::sync::Arc<std::sync::Mutex<Vec<(String, f64)>>>,
}

impl Follower {
    /// Runs `PREFIX… podium follow BASE/ --name NAME` (`PREFIX` e.g. `ip netns exec NS`).
    fn start(prefix: &[&str], base: &str, name: &str) -> Follower {
        use tokio::io::AsyncBufReadExt;
        let podium = env!("CARGO_BIN_EXE_podium");
        let argv: Vec<&str> = prefix.iter().copied().chain([podium]).collect();
        let mut child = tokio::process::Command::new(argv[0])
            .args(&argv[1..])
            .args(["follow", &format!("{base}/"), "--name", name])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("podium follow starts");
        let stdout = child.stdout.take().expect("piped");
        let changes = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = changes.clone();
        tokio::spawn(async move {
            let mut lines = tokio::io::BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let at = podium::clock::unix_now_ms();
                // `[1/3] Opening — Chair  1:59  running`: the digits are the field that parses.
                if let Some(digits) = line.split("  ").find(|f| shown_seconds(f).is_some()) {
                    let mut changes = sink.lock().expect("no panic while holding the lock");
                    changes.push((digits.to_owned(), at));
                }
            }
        });
        Follower {
            _child: child,
            changes,
        }
    }

    fn changes(&self) -> Vec<(String, f64)> {
        self.changes
            .lock()
            .expect("no panic while holding the lock")
            .clone()
    }
}

// ---- The harness -----------------------------------------------------------------------------

fn env_flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false"))
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// The one-minute load average per core, if known.
fn load_per_core() -> Option<f64> {
    let one: f64 = load_average().split_whitespace().next()?.parse().ok()?;
    let cores = std::thread::available_parallelism().ok()?.get();
    Some(one / cores as f64)
}

async fn open_page(browser: &Browser, url: &str) {
    browser.goto(url).await;
    browser
        .wait_true(
            "the page to connect and show the ready clock",
            "return document.getElementById('status').dataset.state === 'connected' \
             && document.body.dataset.phase === 'ready';",
        )
        .await;
    assert!(browser.eval::<bool>(RECORDER).await, "recorder installed");
}

#[tokio::test]
async fn every_screen_flips_on_the_servers_second() {
    if !browser_available() {
        return;
    }
    let measure_secs: f64 = std::env::var("PODIUM_SYNC_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20.0_f64)
        .clamp(5.0, 100.0);
    let scratch = Scratch::new("sync");
    let journal = scratch.join("run.jsonl");
    let mut notes = vec![format!("load average before: {}", load_average())];

    // The slow link: netem if the machine can, else the user-space proxy (and say so).
    let netem = match NetemLink::create() {
        Ok(link) => Some(link),
        Err(why) => {
            let msg = format!(
                "netem SKIPPED: {why}; the slow page uses the user-space delay proxy instead"
            );
            eprintln!("{msg}");
            notes.push(msg);
            None
        }
    };
    let bind = match &netem {
        Some(link) => format!("{}:0", link.netns.outer),
        None => "127.0.0.1:0".to_owned(),
    };
    let server = Process::start(&[
        "run",
        SHOW,
        "--speed",
        "1",
        "--journal",
        &journal,
        "--bind",
        &bind,
    ])
    .await;
    let podium_addr: SocketAddr = server
        .base
        .trim_start_matches("http://")
        .parse()
        .expect("podium prints host:port");

    let loopback = Browser::start(&scratch).await;
    open_page(&loopback, &format!("{}/?name=loopback", server.base)).await;
    let loopback_follower = Follower::start(&[], &server.base, "follow-loopback");
    // A second Chromium needs a profile of its own.
    let slow_profile = Scratch::new("sync-slow");
    let (slow_name, slow, slow_follower) = match &netem {
        Some(link) => {
            let driver = Driver::start_in(Some(&link.netns));
            let browser = Browser::start_with(&slow_profile, driver).await;
            open_page(&browser, &format!("{}/?name=netem", server.base)).await;
            let prefix = ["ip", "netns", "exec", link.netns.name.as_str()];
            let follower = Follower::start(&prefix, &server.base, "follow-netem");
            let name = if link.shaped {
                "netem 150±30 ms RTT, 1 % loss"
            } else {
                "namespace WITHOUT netem (plumbing check)"
            };
            (name.to_owned(), browser, follower)
        }
        None => {
            let proxy = delay_proxy(podium_addr).await;
            let browser = Browser::start(&slow_profile).await;
            open_page(&browser, &format!("http://{proxy}/?name=proxy")).await;
            let follower = Follower::start(&[], &format!("http://{proxy}"), "follow-proxy");
            (
                "user-space proxy 150±30 ms RTT, ~1 % +200 ms".to_owned(),
                browser,
                follower,
            )
        }
    };
    // Let each page finish its ping burst before the start.
    tokio::time::sleep(Duration::from_secs(1)).await;

    let state = server.command(r#"{"cmd":"start"}"#).await;
    let ends_at_ms = state["ends_at_ms"]
        .as_f64()
        .expect("a running segment has ends_at_ms");
    let start_ms = state["server_time_ms"].as_f64().expect("server_time_ms");
    let until_ms = start_ms + WARM_UP_MS + measure_secs * 1000.0;
    assert!(
        until_ms < ends_at_ms + 50_000.0,
        "the segment outlasts the measurement"
    );
    let wait = (until_ms - podium::clock::unix_now_ms()).max(0.0) + 1_500.0;
    tokio::time::sleep(Duration::from_secs_f64(wait / 1000.0)).await;

    let mut scores = Vec::new();
    let mut targets = Vec::new();
    for (name, browser, target) in [
        ("page, loopback".to_owned(), &loopback, LOOPBACK_P99_MS),
        (format!("page, {slow_name}"), &slow, SLOW_LINK_P99_MS),
    ] {
        let changes: Vec<(String, f64)> = browser.eval("return window.__podiumChanges;").await;
        scores.push(score(&name, &changes, ends_at_ms, start_ms, until_ms));
        targets.push(target);
    }
    for (name, follower, target) in [
        (
            "follow, loopback".to_owned(),
            &loopback_follower,
            LOOPBACK_P99_MS,
        ),
        (
            format!("follow, {slow_name}"),
            &slow_follower,
            SLOW_LINK_P99_MS,
        ),
    ] {
        scores.push(score(
            &name,
            &follower.changes(),
            ends_at_ms,
            start_ms,
            until_ms,
        ));
        targets.push(target);
    }
    notes.push(format!("load average after: {}", load_average()));
    // What each screen believes: on one machine the true offset is ~0, so the reported offset is
    // the estimate's error (pages: plus the browser's own time origin).
    let presence: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/api/presence", server.base))
        .bearer_auth(common::TOKEN)
        .send()
        .await
        .expect("podium answers")
        .json()
        .await
        .expect("JSON");
    for screen in presence["screens"].as_array().into_iter().flatten() {
        notes.push(format!(
            "estimate reported by {}: rtt {} ms, offset {} ms",
            screen["name"], screen["rtt_ms"], screen["offset_ms"]
        ));
    }
    // A p99 of 20 samples is their maximum: one stall of the machine decides it. And timing targets
    // measure the page, not a starved CPU. So p99 is asserted only on a long, unloaded run.
    let overloaded = load_per_core().is_none_or(|l| l > 1.0);
    let long_enough = measure_secs >= 100.0;
    let assert_p99 = !env_flag("PODIUM_SYNC_REPORT_ONLY") && !overloaded && long_enough;
    if !assert_p99 {
        let why = if env_flag("PODIUM_SYNC_REPORT_ONLY") {
            "PODIUM_SYNC_REPORT_ONLY is set".to_owned()
        } else if overloaded {
            format!(
                "machine overloaded: load {} on {} cores",
                load_average(),
                std::thread::available_parallelism().map_or(0, |n| n.get())
            )
        } else {
            "fewer than 100 s scored: PODIUM_SYNC_SECS=100 for a meaningful p99".to_owned()
        };
        notes.push(format!("p99 targets NOT asserted ({why}): reported only"));
    } else {
        notes.push("p99 targets asserted".to_owned());
    }
    let mut report = format!(
        "podium sync harness: {measure_secs:.0} s scored after a {:.0} s warm-up, speed 1\n\
         {:<56} {:>7} {:>8} {:>8} {:>8} {:>9}  faults\n",
        WARM_UP_MS / 1000.0,
        "page",
        "changes",
        "p50 ms",
        "p99 ms",
        "max ms",
        "bias ms"
    );
    for s in &scores {
        report.push_str(&format!(
            "{:<56} {:>7} {:>8.1} {:>8.1} {:>8.1} {:>+9.1}  {}\n",
            s.page,
            s.changes,
            s.p50,
            s.p99,
            s.max,
            s.mean,
            if s.faults.is_empty() {
                "none".to_owned()
            } else {
                s.faults.join(", ")
            }
        ));
    }
    for s in &scores {
        let worst: Vec<String> = s
            .worst
            .iter()
            .map(|(e, secs)| format!("{e:+.1} ms at {secs} s"))
            .collect();
        report.push_str(&format!("worst on {}: {}\n", s.page, worst.join(", ")));
    }
    for note in &notes {
        report.push_str(&format!("{note}\n"));
    }
    eprintln!("{report}");
    let _ = std::fs::write(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/sync-report.txt"),
        &report,
    );

    loopback.close().await;
    slow.close().await;
    drop(netem);

    let expected = (measure_secs as usize).saturating_sub(1);
    for (s, target) in scores.iter().zip(targets) {
        assert!(
            s.changes >= expected,
            "{}: only {} changes scored\n{report}",
            s.page,
            s.changes
        );
        assert!(
            s.faults.is_empty(),
            "{}: a second shown twice or skipped\n{report}",
            s.page
        );
        assert!(
            s.p50 <= target,
            "{}: median {:.1} ms > {target} ms\n{report}",
            s.page,
            s.p50
        );
        if assert_p99 {
            assert!(
                s.p99 <= target,
                "{}: p99 {:.1} ms > {target} ms\n{report}",
                s.page,
                s.p99
            );
        }
    }
}
