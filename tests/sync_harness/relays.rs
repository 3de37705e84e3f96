//! The same second through relays (issue 13): speaker pages in headless Chromium on the origin
//! (`podium run … --nats`) and on two relays (`podium relay`), all on loopback, scored against
//! the origin's second boundaries like the pages of the main harness. A relay answers pings on
//! the origin's time base (its own estimate of the origin's clock over NATS), so a page on a relay
//! must flip with the origin's pages: the issue's target is 10 ms p99 on loopback, asserted under
//! the main harness's conditions (a long, unloaded run: `PODIUM_SYNC_SECS=100`). Always asserted:
//! no second shown twice or skipped, and the median within the main harness's loopback target
//! (a loaded 2-core machine renders every page late, the origin's too). The report goes to
//! `target/sync-relays-report.txt`.

use std::time::Duration;

use super::{
    LOOPBACK_P99_MS, Score, WARM_UP_MS, env_flag, load_average, load_per_core, open_page, score,
};
use crate::common::Process;
use crate::common::browser::{Browser, Scratch, browser_available};
use crate::common::nats::NatsServer;
use crate::nats_relay::Relay;

const RELAYED_P99_MS: f64 = 10.0;

#[tokio::test]
async fn pages_on_two_relays_flip_on_the_origins_second() {
    if !browser_available() {
        return;
    }
    let measure_secs: f64 = std::env::var("PODIUM_SYNC_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20.0_f64)
        .clamp(5.0, 100.0);
    let nats = NatsServer::start();
    let scratch = Scratch::new("sync-relays");
    let journal = scratch.join("run.jsonl");
    let mut notes = vec![format!("load average before: {}", load_average())];
    let url = nats.url();
    let origin = Process::start(&[
        "run",
        super::SHOW,
        "--speed",
        "1",
        "--journal",
        &journal,
        "--nats",
        &url,
    ])
    .await;
    let relays = [Relay::start(&url).await, Relay::start(&url).await];

    let mut pages: Vec<(String, Browser, Scratch)> = Vec::new();
    for (name, base) in [
        ("page, origin", origin.base.clone()),
        ("page, relay A", relays[0].base.clone()),
        ("page, relay B", relays[1].base.clone()),
    ] {
        // Each Chromium needs a profile of its own.
        let profile = Scratch::new(&format!("sync-relays-{}", pages.len()));
        let browser = Browser::start(&profile).await;
        open_page(
            &browser,
            &format!("{base}/?name={}", name.replace([' ', ','], "")),
        )
        .await;
        pages.push((name.to_owned(), browser, profile));
    }
    // Let each page finish its ping burst (and each relay its own) before the start.
    tokio::time::sleep(Duration::from_secs(1)).await;

    let state = origin.command(r#"{"cmd":"start"}"#).await;
    let ends_at_ms = state["ends_at_ms"].as_f64().expect("ends_at_ms");
    let start_ms = state["server_time_ms"].as_f64().expect("server_time_ms");
    let until_ms = start_ms + WARM_UP_MS + measure_secs * 1000.0;
    let wait = (until_ms - podium::clock::unix_now_ms()).max(0.0) + 1_500.0;
    tokio::time::sleep(Duration::from_secs_f64(wait / 1000.0)).await;

    let mut scores: Vec<Score> = Vec::new();
    for (name, browser, _) in &pages {
        let changes: Vec<(String, f64)> = browser.eval("return window.__podiumChanges;").await;
        scores.push(score(name, &changes, ends_at_ms, start_ms, until_ms));
    }
    notes.push(format!("load average after: {}", load_average()));
    let overloaded = load_per_core().is_none_or(|l| l > 1.0);
    let assert_p99 = !env_flag("PODIUM_SYNC_REPORT_ONLY") && !overloaded && measure_secs >= 100.0;
    notes.push(if assert_p99 {
        "p99 target asserted".to_owned()
    } else {
        "p99 target NOT asserted (a short or loaded run, or PODIUM_SYNC_REPORT_ONLY): reported only"
            .to_owned()
    });
    let mut report = format!(
        "podium sync harness, relays: {measure_secs:.0} s scored after a {:.0} s warm-up, speed 1\n\
         {:<24} {:>7} {:>8} {:>8} {:>8} {:>9}  faults\n",
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
            "{:<24} {:>7} {:>8.1} {:>8.1} {:>8.1} {:>+9.1}  {}\n",
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
    for note in &notes {
        report.push_str(&format!("{note}\n"));
    }
    eprintln!("{report}");
    let _ = std::fs::write(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/sync-relays-report.txt"),
        &report,
    );
    for (_, browser, _) in pages {
        browser.close().await;
    }

    let expected = (measure_secs as usize).saturating_sub(1);
    for s in &scores {
        assert!(
            s.changes >= expected,
            "{}: only {} changes\n{report}",
            s.page,
            s.changes
        );
        assert!(
            s.faults.is_empty(),
            "{}: a second twice or skipped\n{report}",
            s.page
        );
        assert!(
            s.p50 <= LOOPBACK_P99_MS,
            "{}: median {:.1} ms > {LOOPBACK_P99_MS} ms\n{report}",
            s.page,
            s.p50
        );
        if assert_p99 {
            assert!(
                s.p99 <= RELAYED_P99_MS,
                "{}: p99 {:.1} ms > {RELAYED_P99_MS} ms\n{report}",
                s.page,
                s.p99
            );
        }
    }
}
