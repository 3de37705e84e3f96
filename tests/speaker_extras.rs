//! Issue 14 in headless Chromium against the real binary: the speaker page's context — a thin
//! progress bar of the segment with its warning zone, "ends at HH:MM" in the viewer's own time
//! zone (Asia/Kolkata here, a half-hour offset, emulated), the segment of the speaker a link was
//! made for (`?name=`) — at a phone upright and sideways, a laptop and a stage monitor, with the
//! digits still dominant; both extras turned off by a session's `[speaker_page]`; "Pop out" opened
//! by a real click, in Document Picture-in-Picture and (with that API switched off in Blink) in
//! the popup window it falls back to, following the page; and the control page's speaker links
//! with their QR codes. Screenshots go to `target/screenshots/` (speaker-extras-*,
//! popout-*, control-share-*).

use std::time::Instant;

use chrono::TimeZone;
use fantoccini::Locator;
use serde::Deserialize;
use serde_json::json;

use crate::common;
use common::browser::{Browser, DEADLINE, Driver, POLL, Scratch, browser_available};
use common::{Process, TOKEN};

/// A keynote long enough to look at (10 min, the warning at 2:00: the zone is the last fifth),
/// then a Q&A chaired by someone else.
const EXTRAS: &str = r#"title = "Extras"
timezone = "UTC"

[[segment]]
title = "What the data says"
speaker = "Neha Misra"
duration = "10m"
warn = "2m"

[[segment]]
title = "Questions"
speaker = "Chair"
kind = "qa"
duration = "5m"
"#;

/// The viewer's zone, emulated: half an hour off UTC, so a wrong zone cannot pass by luck.
const VIEWER_ZONE: &str = "Asia/Kolkata";

fn scratch_session(scratch: &Scratch, name: &str, text: &str) -> String {
    let path = scratch.join(name);
    std::fs::write(&path, text).expect("the scratch dir is writable");
    path
}

#[derive(Debug, Clone, Copy, Deserialize)]
struct Rect {
    left: f64,
    top: f64,
    right: f64,
    bottom: f64,
}

/// What the speaker page shows around its digits, read in one script.
#[derive(Debug, Deserialize)]
struct Context {
    viewport: (f64, f64),
    connected: bool,
    phase: Option<String>,
    digits: String,
    digits_height: f64,
    digits_font: f64,
    mine: String,
    speaker_before: String,
    next_before: String,
    /// `None` while hidden.
    bar: Option<Rect>,
    used: Option<Rect>,
    warn: Option<Rect>,
    ends_at: Option<String>,
    ends_at_font: f64,
    popout: Option<String>,
    /// Pairs of shown parts whose boxes overlap.
    overlaps: Vec<String>,
    scrolls: bool,
}

const CONTEXT: &str = r#"
    const $ = (id) => document.getElementById(id);
    const shown = (el) => {
        if (!el || el.closest('[hidden]')) return false;
        const cs = getComputedStyle(el);
        if (cs.display === 'none' || cs.visibility === 'hidden') return false;
        const r = el.getBoundingClientRect();
        return r.width > 0 && r.height > 0;
    };
    const box = (el) => {
        if (!shown(el)) return null;
        const r = el.getBoundingClientRect();
        return { left: r.left, top: r.top, right: r.right, bottom: r.bottom };
    };
    const textBox = (el) => {
        if (!shown(el)) return null;
        const range = document.createRange();
        range.selectNodeContents(el);
        const t = range.getBoundingClientRect(), b = el.getBoundingClientRect();
        return { left: Math.max(t.left, b.left), right: Math.min(t.right, b.right),
                 top: Math.max(t.top, b.top), bottom: Math.min(t.bottom, b.bottom) };
    };
    const parts = [];
    for (const id of ['title', 'speaker', 'next', 'local', 'remaining', 'ends-at', 'message']) {
        const r = textBox($(id));
        if (r) parts.push([id, r]);
    }
    for (const id of ['progress', 'popout', 'sound', 'status', 'label', 'rehearsal']) {
        const r = box($(id));
        if (r) parts.push([id, r]);
    }
    const overlaps = [];
    for (let i = 0; i < parts.length; i++) {
        for (let j = i + 1; j < parts.length; j++) {
            const [an, a] = parts[i], [bn, b] = parts[j];
            const x = Math.min(a.right, b.right) - Math.max(a.left, b.left);
            const y = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
            if (x > 1 && y > 1) overlaps.push(`${an} × ${bn}`);
        }
    }
    const digits = $('remaining');
    const root = document.documentElement;
    return {
        viewport: [innerWidth, innerHeight],
        connected: $('status').dataset.state === 'connected',
        phase: document.body.dataset.phase ?? null,
        digits: digits.textContent,
        digits_height: digits.getBoundingClientRect().height / innerHeight,
        digits_font: parseFloat(getComputedStyle(digits).fontSize),
        mine: document.body.dataset.mine ?? '',
        speaker_before: getComputedStyle($('speaker'), '::before').content,
        next_before: getComputedStyle($('next'), '::before').content,
        bar: box($('progress')),
        // Its used part may be empty (scaleX(0)): measured whenever the bar is shown.
        used: shown($('progress'))
            ? (({ left, top, right, bottom }) => ({ left, top, right, bottom }))(
                $('progress-used').getBoundingClientRect())
            : null,
        warn: box($('progress-warn')),
        ends_at: shown($('ends-at')) ? $('ends-at').textContent : null,
        ends_at_font: parseFloat(getComputedStyle($('ends-at')).fontSize),
        popout: shown($('popout')) ? $('popout').textContent : null,
        overlaps,
        scrolls: root.scrollWidth > innerWidth + 1 || root.scrollHeight > innerHeight + 1,
    };
"#;

async fn context(browser: &Browser) -> Context {
    browser.eval(CONTEXT).await
}

/// Polls the page until `done` holds; fails after `DEADLINE`.
async fn context_until(browser: &Browser, done: impl Fn(&Context) -> bool) -> Context {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let seen = context(browser).await;
        if done(&seen) {
            return seen;
        }
        assert!(Instant::now() < deadline, "timed out: {seen:#?}");
        tokio::time::sleep(POLL).await;
    }
}

/// "HH:MM" of `unix_ms` rounded to the nearest minute, in the viewer's zone: the page's rule
/// (display.json "progress") said independently, with chrono.
fn expected_end(unix_ms: i64) -> String {
    let minute = (unix_ms as f64 / 60_000.0).round() as i64 * 60_000;
    let zone: chrono_tz::Tz = VIEWER_ZONE.parse().expect("a zone");
    zone.timestamp_millis_opt(minute)
        .single()
        .expect("an instant")
        .format("%H:%M")
        .to_string()
}

/// The progress bar, "ends at" in the viewer's zone and the speaker's own segment, at a phone
/// upright and sideways, a laptop and a stage monitor; the digits stay dominant and the bar thin.
#[tokio::test]
async fn the_speaker_page_shows_the_segments_progress_and_end_at_every_size() {
    if !browser_available() {
        return;
    }
    let scratch = Scratch::new("speaker-extras");
    let session = scratch_session(&scratch, "extras.toml", EXTRAS);
    let journal = scratch.join("run.jsonl");
    // At ×20 the 10-minute keynote lasts 30 s: its warning zone begins 24 s in, which leaves the
    // screenshots 18 s (a loaded machine included) between a fifth used and the warning.
    let server = Process::start(&["run", &session, "--speed", "20", "--journal", &journal]).await;
    let browser = Browser::start(&scratch).await;
    // The viewer's zone, before the page (and its local clock) starts.
    browser
        .cdp(
            "Emulation.setTimezoneOverride",
            json!({ "timezoneId": VIEWER_ZONE }),
        )
        .await;
    browser
        .goto(&format!("{}/?name=neha%20misra", server.base))
        .await;

    // Before the start: an empty bar, no end yet, and the speaker's segment pointed out.
    let ready = context_until(&browser, |c| {
        c.connected && c.phase.as_deref() == Some("ready")
    })
    .await;
    assert_eq!(ready.ends_at, None, "{ready:#?}");
    let (bar, used) = (
        ready.bar.expect("a bar"),
        ready.used.expect("its used part"),
    );
    assert!(used.right - used.left < 1.0, "nothing used yet: {ready:#?}");
    assert!(bar.right - bar.left > 300.0);
    assert_eq!(ready.mine, "now");
    assert!(ready.speaker_before.contains('▶'), "{ready:#?}");

    let state = server.command(r#"{"cmd":"start"}"#).await;
    let ends_at_ms = state["ends_at_ms"].as_i64().expect("running: a deadline");
    let want_end = format!("ends at {}", expected_end(ends_at_ms));
    // A fifth of the keynote used (6 s at ×20), so that the bar shows.
    let started = Instant::now();
    context_until(&browser, |c| {
        c.used
            .zip(c.bar)
            .is_some_and(|(u, b)| (u.right - u.left) / (b.right - b.left) >= 0.2)
    })
    .await;
    eprintln!("a fifth used after {:?}", started.elapsed());

    let mut problems = Vec::new();
    for size in [(390, 844), (844, 390), (1366, 768), (1920, 1080)] {
        browser.viewport(size).await;
        let (w, h) = (f64::from(size.0), f64::from(size.1));
        let seen = context_until(&browser, |c| c.viewport == (w, h)).await;
        let shot = format!("speaker-extras-{}x{}.png", size.0, size.1);
        browser.capture(&shot, size.0).await;
        eprintln!("{shot}: {seen:?}");
        let name = &shot;
        let bar = seen.bar.expect("the bar is shown");
        let used = seen.used.expect("its used part");
        let warn = seen.warn.expect("its warning zone");
        let thickness = bar.bottom - bar.top;
        // Thin: a hairline along the bottom edge, the full width.
        if !(3.0..=12.0).contains(&thickness) || thickness > 0.015 * h {
            problems.push(format!("{name}: the bar is {thickness} px thick"));
        }
        if (bar.left).abs() > 0.5 || (bar.right - w).abs() > 0.5 || (bar.bottom - h).abs() > 0.5 {
            problems.push(format!(
                "{name}: the bar is not along the bottom edge: {bar:?}"
            ));
        }
        // The warning zone is the last fifth (2:00 of 10:00); the used part is under it.
        let width = bar.right - bar.left;
        if ((warn.left - bar.left) / width - 0.8).abs() > 0.01
            || (warn.right - bar.right).abs() > 1.0
        {
            problems.push(format!("{name}: the warning zone is {warn:?} of {bar:?}"));
        }
        let share = (used.right - used.left) / width;
        if !(0.19..0.8).contains(&share) {
            problems.push(format!("{name}: {share} of the bar is used"));
        }
        if seen.ends_at.as_deref() != Some(want_end.as_str()) {
            problems.push(format!("{name}: {:?}, want {want_end:?}", seen.ends_at));
        }
        // The digits dominate: a tenth of the screen's height at least (a phone held sideways
        // shares it with the title), the corner text a small fraction of them.
        if seen.digits_height < 0.1 || seen.ends_at_font * 6.0 > seen.digits_font {
            problems.push(format!(
                "{name}: digits {:.2} of the height, {} px against 'ends at' {} px",
                seen.digits_height, seen.digits_font, seen.ends_at_font
            ));
        }
        if thickness * 10.0 > seen.digits_height * h {
            problems.push(format!("{name}: the bar competes with the digits"));
        }
        if !seen.overlaps.is_empty() || seen.scrolls {
            problems.push(format!(
                "{name}: overlaps {:?}, scrolls {}",
                seen.overlaps, seen.scrolls
            ));
        }
        if seen.mine != "now" {
            problems.push(format!("{name}: the keynote is not pointed out as Neha's"));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");

    // The chair's link: the next segment is theirs.
    browser.viewport((1366, 768)).await;
    browser.goto(&format!("{}/?name=Chair", server.base)).await;
    let chair = context_until(&browser, |c| c.connected && c.mine == "next").await;
    assert!(chair.next_before.contains('▶'), "{chair:#?}");
    browser
        .capture("speaker-extras-next-1366x768.png", 1366)
        .await;

    // Paused: the bar holds, the end is no longer fixed, so none is said.
    server.command(r#"{"cmd":"pause"}"#).await;
    let paused = context_until(&browser, |c| c.phase.as_deref() == Some("paused")).await;
    assert_eq!(paused.ends_at, None, "{paused:#?}");
    let held = paused.used.expect("the used part");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let later = context(&browser).await;
    assert_eq!(
        later.used.map(|u| u.right),
        Some(held.right),
        "the bar holds while paused"
    );
    // Overtime (the keynote cut to 1:00, more than that used): full.
    server.command(r#"{"cmd":"adjust","seconds":-540}"#).await;
    server.command(r#"{"cmd":"start"}"#).await;
    let over = context_until(&browser, |c| {
        matches!(c.phase.as_deref(), Some("overtime" | "over-max"))
    })
    .await;
    let (bar, used) = (over.bar.expect("bar"), over.used.expect("used"));
    assert!(
        (used.right - bar.right).abs() < 1.0,
        "full in overtime: {over:#?}"
    );
    assert_eq!(over.ends_at, None);
    browser
        .capture("speaker-extras-overtime-1366x768.png", 1366)
        .await;
    browser.close().await;
}

/// `[speaker_page] progress = false, ends_at = false`: neither is shown, and the state says so.
#[tokio::test]
async fn a_session_turns_the_progress_bar_and_the_end_off() {
    if !browser_available() {
        return;
    }
    let scratch = Scratch::new("speaker-extras-off");
    let text = EXTRAS.replacen(
        "timezone = \"UTC\"\n",
        "timezone = \"UTC\"\n\n[speaker_page]\nprogress = false\nends_at = false\n",
        1,
    );
    let session = scratch_session(&scratch, "off.toml", &text);
    let journal = scratch.join("run.jsonl");
    let server = Process::start(&["run", &session, "--speed", "30", "--journal", &journal]).await;
    let state = server.command(r#"{"cmd":"start"}"#).await;
    assert_eq!(
        state["speaker_page"],
        json!({"progress": false, "ends_at": false})
    );
    let browser = Browser::start(&scratch).await;
    browser.goto(&format!("{}/", server.base)).await;
    let seen = context_until(&browser, |c| {
        c.connected && c.phase.as_deref() == Some("running") && c.digits != "–:––"
    })
    .await;
    assert!(seen.bar.is_none() && seen.ends_at.is_none(), "{seen:#?}");
    browser.capture("speaker-extras-off-1920.png", 1920).await;
    browser.close().await;
}

/// What the pop-out window and the page show at one moment, read from the page.
#[derive(Debug, Deserialize, PartialEq)]
struct Pair {
    open: bool,
    page: (String, String, String),
    /// Digits, phase, words, message and the window's title.
    pop: Option<(String, String, String, String, String)>,
}

/// Reads the page's digits, phase and words and the pop-out's (its digits, phase, words and
/// message) in one script. `arguments[0]`: "pip" or "popup".
const PAIR: &str = r#"
    const kind = arguments[0];
    const w = kind === 'pip'
        ? window.documentPictureInPicture?.window
        : window.open('', 'podium-popout');
    const $ = (id) => document.getElementById(id);
    const page = [$('remaining').textContent, document.body.dataset.phase,
                  $('label').hidden ? '' : $('label').textContent];
    const d = w && !w.closed ? w.document : null;
    const q = (sel) => d?.querySelector(sel);
    const pop = d && q('.pop-digits')
        ? [q('.pop-digits').textContent, d.body.dataset.phase,
           q('.pop-words').hidden ? '' : q('.pop-words').textContent,
           q('.pop-message').hidden ? '' : q('.pop-message').textContent, d.title]
        : null;
    return { open: !!d, page, pop };
"#;

/// Saves a screenshot of the pop-out window as `name`, at the size of a small desktop window
/// (headless Chromium opens new windows at its own default size, ignoring the 320×180 asked
/// for), and comes back to the page's window `main`.
async fn photograph_pop_out(browser: &Browser, main: &fantoccini::wd::WindowHandle, name: &str) {
    let windows = browser.client.windows().await.expect("window handles");
    let other = windows
        .into_iter()
        .find(|w| w != main)
        .expect("the pop-out is a window of its own");
    browser
        .client
        .switch_to_window(other)
        .await
        .expect("WebDriver switches to the pop-out");
    browser
        .client
        .set_window_size(400, 260)
        .await
        .expect("the pop-out's window can be sized");
    let size: (f64, f64) = browser.eval("return [innerWidth, innerHeight];").await;
    let png = browser
        .client
        .screenshot()
        .await
        .expect("a screenshot of the pop-out");
    let dir = common::browser::screenshot_dir();
    std::fs::create_dir_all(&dir).expect("target/screenshots can be created");
    std::fs::write(dir.join(name), png).expect("written");
    eprintln!("{name}: {size:?}");
    assert!(
        size.0 <= 400.0 && size.1 <= 260.0,
        "a small window: {size:?}"
    );
    browser
        .client
        .switch_to_window(main.clone())
        .await
        .expect("back to the page");
}

/// A real click on "Pop out" opens the small countdown; it shows the page's digits, phase,
/// words and the moderator's message as they change; a second click closes it.
async fn pop_out_follows_the_page(kind: &str, extra: &[&str]) {
    let scratch = Scratch::new(&format!("popout-{kind}"));
    let session = scratch_session(&scratch, "extras.toml", EXTRAS);
    let journal = scratch.join("run.jsonl");
    let server = Process::start(&["run", &session, "--speed", "1", "--journal", &journal]).await;
    let browser = Browser::start_with_args(&scratch, Driver::start(), extra).await;
    browser.goto(&format!("{}/", server.base)).await;
    context_until(&browser, |c| c.connected && c.popout.is_some()).await;
    let label = context(&browser).await.popout.expect("the button");
    let has_pip: bool = browser
        .eval("return 'documentPictureInPicture' in window;")
        .await;
    assert_eq!(has_pip, kind == "pip", "Document PiP available: {has_pip}");
    if kind == "pip" {
        assert_eq!(label, "Pop out");
    } else {
        assert_eq!(
            label, "Pop out (window, not kept on top)",
            "the button says so"
        );
    }
    server.command(r#"{"cmd":"start"}"#).await;

    let main = browser.client.window().await.expect("the page's window");
    let button = browser
        .client
        .find(Locator::Css("#popout"))
        .await
        .expect("the Pop out button");
    button.click().await.expect("a real click");

    // Its digits change with the page's, at the same moments.
    let deadline = Instant::now() + DEADLINE;
    let mut seen_digits = Vec::new();
    while seen_digits.len() < 3 {
        let pair: Pair = browser
            .client
            .execute(PAIR, vec![json!(kind)])
            .await
            .map(|v| serde_json::from_value(v).expect("a pair"))
            .expect("the script runs");
        assert!(
            Instant::now() < deadline,
            "timed out: {pair:?} after {seen_digits:?}"
        );
        if let Some(pop) = &pair.pop {
            assert!(pair.open);
            // Read in one script: the same moment, the same digits.
            assert_eq!(
                (&pop.0, &pop.1, &pop.2),
                (&pair.page.0, &pair.page.1, &pair.page.2),
                "{pair:?}"
            );
            assert_eq!(pop.4, format!("{} · Podium", pop.0), "its title: {pair:?}");
            if seen_digits.last() != Some(&pop.0) {
                seen_digits.push(pop.0.clone());
            }
        }
        tokio::time::sleep(POLL).await;
    }

    photograph_pop_out(&browser, &main, &format!("popout-{kind}-running.png")).await;

    // A message and a pause reach it too.
    server
        .command(r#"{"cmd":"message","text":"Please wrap up"}"#)
        .await;
    server.command(r#"{"cmd":"pause"}"#).await;
    let deadline = Instant::now() + DEADLINE;
    loop {
        let pair: Pair = browser
            .client
            .execute(PAIR, vec![json!(kind)])
            .await
            .map(|v| serde_json::from_value(v).expect("a pair"))
            .expect("the script runs");
        if pair.pop.as_ref().is_some_and(|p| {
            p.1 == "paused" && p.2 == "Paused" && p.3 == "Please wrap up" && p.0 == pair.page.0
        }) {
            break;
        }
        assert!(Instant::now() < deadline, "timed out: {pair:?}");
        tokio::time::sleep(POLL).await;
    }

    photograph_pop_out(&browser, &main, &format!("popout-{kind}-paused.png")).await;

    // A second click closes it.
    let button = browser
        .client
        .find(Locator::Css("#popout"))
        .await
        .expect("the Pop out button");
    button.click().await.expect("a real click");
    browser
        .wait_true(
            "the pop-out closed",
            "return document.getElementById('popout').getAttribute('aria-pressed') === 'false';",
        )
        .await;
    let windows = browser.client.windows().await.expect("window handles");
    assert_eq!(windows.len(), 1, "the pop-out window is gone");
    browser.close().await;
}

/// Chromium has Document Picture-in-Picture, headless too: the always-on-top window.
#[tokio::test]
async fn pop_out_opens_picture_in_picture_and_follows_the_page() {
    if !browser_available() {
        return;
    }
    pop_out_follows_the_page("pip", &[]).await;
}

/// Without Document Picture-in-Picture (switched off in Blink, as in browsers that lack it) the
/// button says the window is not kept on top, and opens a small popup window that follows too.
#[tokio::test]
async fn pop_out_falls_back_to_a_popup_window_without_picture_in_picture() {
    if !browser_available() {
        return;
    }
    pop_out_follows_the_page(
        "popup",
        &["--disable-blink-features=DocumentPictureInPictureAPI"],
    )
    .await;
}

/// What the control page's share panel shows.
#[derive(Debug, Deserialize)]
struct SharePanel {
    shown: bool,
    hosts: Vec<String>,
    qr_loaded: usize,
    qr_total: usize,
    speakers: Vec<String>,
    speaker_links: Vec<String>,
    local_only_note: bool,
    scroll_width: f64,
}

const SHARE_PANEL: &str = r#"
    const section = document.getElementById('share-section');
    const imgs = [...section.querySelectorAll('img.qr')];
    return {
        shown: !section.hidden,
        hosts: [...section.querySelectorAll('#share-hosts a')].map((a) => a.href),
        qr_loaded: imgs.filter((i) => i.complete && i.naturalWidth > 0).length,
        qr_total: imgs.length,
        speakers: [...section.querySelectorAll('.share-speaker .who')].map((s) => s.textContent),
        speaker_links: [...section.querySelectorAll('.share-speaker a')].map((a) => a.href),
        local_only_note: !document.getElementById('share-local-only').hidden,
        scroll_width: document.documentElement.scrollWidth,
    };
"#;

async fn share_panel_until(browser: &Browser, done: impl Fn(&SharePanel) -> bool) -> SharePanel {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let seen: SharePanel = browser.eval(SHARE_PANEL).await;
        if done(&seen) {
            return seen;
        }
        assert!(Instant::now() < deadline, "timed out: {seen:#?}");
        tokio::time::sleep(POLL).await;
    }
}

/// On every interface, the control page lists each address podium printed with its QR code,
/// and a link per speaker (a QR code on demand); it fits a phone. Screenshots:
/// `control-share-1366x768.png`, `control-share-390x844.png`.
#[tokio::test]
async fn the_control_page_shares_speaker_links_with_qr_codes() {
    if !browser_available() {
        return;
    }
    let scratch = Scratch::new("control-share");
    let journal = scratch.join("run.jsonl");
    let server = Process::start(&[
        "run",
        common::SHORT,
        "--bind",
        "0.0.0.0:0",
        "--journal",
        &journal,
    ])
    .await;
    let (_, share) = server.get("/api/share").await;
    let want_hosts: Vec<String> = share["links"]
        .as_array()
        .expect("links")
        .iter()
        .filter(|l| l["name"].is_null())
        .map(|l| l["url"].as_str().expect("url").to_owned())
        .collect();
    let browser = Browser::start(&scratch).await;
    browser.viewport((1366, 768)).await;
    browser
        .goto(&format!("{}/control#token={TOKEN}", server.base))
        .await;
    let seen = share_panel_until(&browser, |s| {
        s.shown && s.qr_total > 0 && s.qr_loaded == s.qr_total
    })
    .await;
    assert_eq!(seen.hosts, want_hosts, "{seen:#?}");
    assert_eq!(seen.qr_total, want_hosts.len(), "a QR code per address");
    assert_eq!(seen.speakers, ["Chair", "Neha Misra"]);
    assert!(
        seen.speaker_links[1].ends_with("/?name=Neha%20Misra"),
        "{seen:#?}"
    );
    assert!(
        seen.speaker_links
            .iter()
            .chain(&seen.hosts)
            .all(|l| !l.contains(TOKEN)),
        "no token in a speaker link"
    );
    // Only loopback (a machine without a network) is said to be this machine only.
    assert_eq!(seen.local_only_note, want_hosts.len() == 1, "{seen:#?}");
    // A speaker's QR code on demand.
    let toggle = browser
        .client
        .find(Locator::Css(".share-speaker .qr-toggle"))
        .await
        .expect("a speaker's QR button");
    toggle.click().await.expect("clickable");
    share_panel_until(&browser, |s| {
        s.qr_total == want_hosts.len() + 1 && s.qr_loaded == s.qr_total
    })
    .await;
    browser
        .eval::<serde_json::Value>(
            "document.getElementById('share-section').scrollIntoView(); return null;",
        )
        .await;
    browser.capture("control-share-1366x768.png", 1366).await;

    // A speaker given to the Q&A while the show runs: the panel lists them at once.
    server
        .command(r#"{"cmd":"edit","op":"set","segment":2,"speaker":"Ana Zoë"}"#)
        .await;
    let edited = share_panel_until(&browser, |s| s.speakers.len() == 3).await;
    assert_eq!(edited.speakers, ["Chair", "Neha Misra", "Ana Zoë"]);
    assert!(
        edited.speaker_links[2].ends_with("/?name=Ana%20Zo%C3%AB"),
        "{edited:#?}"
    );

    browser.viewport((390, 844)).await;
    let phone = share_panel_until(&browser, |s| s.shown).await;
    browser
        .eval::<serde_json::Value>(
            "document.getElementById('share-section').scrollIntoView(); return null;",
        )
        .await;
    browser.capture("control-share-390x844.png", 390).await;
    assert!(
        phone.scroll_width <= 390.0,
        "the share panel fits a phone's width: {phone:#?}"
    );
    browser.close().await;
}
