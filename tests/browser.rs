//! Headless Chromium (through chromedriver and fantoccini) against the real `podium` binary: the
//! speaker page follows the countdown through every phase with the right digits and colours, shows
//! the moderator's message and says "reconnecting" when the server stops; the moderator page lists
//! the run-of-show and starts the show from its button. Issue 7: every view (speaker, overlay,
//! agenda) in every phase at 1920×1080, 1280×720 and 390×844 (exact viewports through Chrome
//! DevTools emulation), with the phase words, no overlap or overflow, and a transparent overlay
//! checked; the opt-in chime and the wake lock; blackout and message-only from the control page.
//! Screenshots of each state are written to `target/screenshots/` for a human to look at.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (see `common::browser`). Without them
//! every test prints "skipping: chromium not installed" and passes — unless `CI` is set, where
//! they fail instead.
//!
//! Each test has its own chromedriver (on a free port) and its own scratch directory under the
//! system temp dir, holding a fresh Chromium profile and the run's journal (so that tests leave
//! nothing in `runs/`, and two podiums started in the same millisecond cannot collide). Timing
//! is by polling with generous deadlines, never by fixed sleeps: at `--speed 60` each phase of the
//! 2-minute "Opening" segment lasts about a real second, which a 50 ms poll sees comfortably.
use crate::common;

use std::time::Instant;

use common::browser::{Browser, DEADLINE, POLL, Scratch, browser_available};
use common::{Process, TOKEN};
use fantoccini::Locator;
use serde::Deserialize;
use serde_json::json;

const SHOW: &str = "tests/sessions/short.toml";

/// Starts the real binary on `SHOW` at `speed`, journaling into `scratch`.
async fn podium(scratch: &Scratch, speed: &str) -> Process {
    let journal = scratch.join("run.jsonl");
    Process::start(&["run", SHOW, "--speed", speed, "--journal", &journal]).await
}

// ---- The speaker page ----------------------------------------------------------------------------

/// What the speaker page shows, read in one script so all fields belong to the same moment.
#[derive(Debug, Deserialize)]
struct Speaker {
    phase: Option<String>,
    digits: String,
    background: Rgb,
    digits_colour: Rgb,
    /// `None` while the message box is hidden.
    message: Option<String>,
    status: String,
    status_text: String,
    status_visible: bool,
    /// `document.title`: the digits first (issue 14). Set in the task after the digits' redraw
    /// (it costs the browser milliseconds), so it may be a moment behind `digits`: poll for it.
    tab_title: String,
    /// The digits lie inside the clock box and the viewport (nothing clipped).
    digits_fit: bool,
    /// The digits' font size (their line box) as a fraction of the viewport height.
    digits_height: f64,
    /// The message box (when shown) lies inside the viewport and does not overlap the digits.
    message_fits: bool,
}

const SPEAKER_SNAPSHOT: &str = r#"
    const $ = (id) => document.getElementById(id);
    const body = document.body, digits = $('remaining'), message = $('message'), status = $('status');
    const rgb = (css) => (css.match(/[\d.]+/g) ?? []).slice(0, 3).map(Number);
    // Horizontally the text's own extent; vertically the line box (line-height 1, so one em),
    // since the font's content area (ascent + descent) is taller than the digits' ink.
    const text = document.createRange();
    text.selectNodeContents(digits);
    const run = text.getBoundingClientRect(), line = digits.getBoundingClientRect();
    const glyphs = { left: run.left, right: run.right, top: line.top, bottom: line.bottom,
                     height: line.height };
    const clock = document.querySelector('.speaker-clock').getBoundingClientRect();
    const inside = (r, o) => r.left >= o.left - 1 && r.top >= o.top - 1
        && r.right <= o.right + 1 && r.bottom <= o.bottom + 1;
    const viewport = { left: 0, top: 0, right: innerWidth, bottom: innerHeight };
    const box = message.getBoundingClientRect();
    return {
        phase: body.dataset.phase ?? null,
        digits: digits.textContent,
        background: rgb(getComputedStyle(body).backgroundColor),
        digits_colour: rgb(getComputedStyle(digits).color),
        message: message.hidden ? null : message.textContent,
        status: status.dataset.state,
        status_text: status.textContent,
        status_visible: !status.hidden,
        tab_title: document.title,
        digits_fit: inside(glyphs, clock) && inside(glyphs, viewport),
        digits_height: glyphs.height / innerHeight,
        message_fits: message.hidden
            || (inside(box, viewport) && (box.bottom <= glyphs.top || box.top >= glyphs.bottom)),
    };
"#;

/// A CSS colour as red, green, blue.
#[derive(Debug, Clone, Copy, Deserialize)]
struct Rgb(f64, f64, f64);

impl Rgb {
    /// Amber (#f5a623): strong red, medium green, little blue.
    fn is_amber(self) -> bool {
        let Rgb(r, g, b) = self;
        r > 200.0 && (100.0..=210.0).contains(&g) && b < 100.0
    }

    /// Red, bright (#d0021b) or the dark flash of over-max (#5e0010).
    fn is_red(self) -> bool {
        let Rgb(r, g, b) = self;
        r >= 80.0 && g < 60.0 && b < 60.0 && r > 2.0 * g.max(b)
    }

    /// Near-black background of a running clock.
    fn is_dark(self) -> bool {
        let Rgb(r, g, b) = self;
        r.max(g).max(b) < 60.0
    }
}

/// The speaker page's phases in the order a segment passes through them.
const PHASES: [&str; 5] = ["ready", "running", "warning", "overtime", "over-max"];

fn rank(phase: Option<&str>) -> Option<usize> {
    PHASES.iter().position(|p| Some(*p) == phase)
}

/// Seconds shown by "m:ss" digits, negative for "+m:ss" (overtime).
fn shown_seconds(digits: &str) -> Option<i64> {
    let (sign, clock) = match digits.strip_prefix('+') {
        Some(rest) => (-1, rest),
        None => (1, digits),
    };
    let (m, s) = clock.split_once(':')?;
    let (m, s): (i64, i64) = (m.parse().ok()?, s.parse().ok()?);
    (s < 60 && clock.len() >= 4).then_some(sign * (m * 60 + s))
}

impl Browser {
    async fn speaker(&self) -> Speaker {
        self.eval(SPEAKER_SNAPSHOT).await
    }

    /// Polls the speaker page until `done` holds; fails after `DEADLINE`.
    async fn speaker_until(&self, what: &str, done: impl Fn(&Speaker) -> bool) -> Speaker {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let seen = self.speaker().await;
            if done(&seen) {
                return seen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; the page shows {seen:#?}"
            );
            tokio::time::sleep(POLL).await;
        }
    }

    /// Polls until the page is in `phase` and `also` holds; fails at once if the page is already
    /// past `phase` (the poll missed it), or after `DEADLINE`.
    async fn speaker_in(&self, phase: &str, also: impl Fn(&Speaker) -> bool) -> Speaker {
        let target = rank(Some(phase));
        let seen = self
            .speaker_until(&format!("phase {phase}"), |s| {
                (s.phase.as_deref() == Some(phase) && also(s)) || rank(s.phase.as_deref()) > target
            })
            .await;
        assert_eq!(
            seen.phase.as_deref(),
            Some(phase),
            "the page went past {phase} before the poll saw it: {seen:#?}"
        );
        seen
    }

    /// Screenshot of a phase that lasts about a second: checks the page is still in that phase
    /// afterwards, so the picture shows what its name says.
    async fn screenshot_in(&self, phase: &str, name: &str) {
        let started = Instant::now();
        self.screenshot(name).await;
        let after = self.speaker().await;
        assert_eq!(
            after.phase.as_deref(),
            Some(phase),
            "{name}: the screenshot took {:?}, longer than the {phase} phase lasted",
            started.elapsed()
        );
    }
}

/// Checks shared by every speaker screenshot: big digits, all of them visible.
fn assert_readable(seen: &Speaker) {
    assert!(seen.digits_fit, "the digits are clipped: {seen:#?}");
    assert!(
        seen.digits_height > 0.3,
        "the digits fill only {:.0}% of the screen height: {seen:#?}",
        seen.digits_height * 100.0
    );
    assert!(
        seen.message_fits,
        "the message box overflows or covers the digits: {seen:#?}"
    );
}

#[tokio::test]
async fn speaker_page_follows_the_countdown_and_notices_the_server_stop() {
    if !browser_available() {
        return;
    }
    let scratch = Scratch::new("speaker");
    let mut server = podium(&scratch, "60").await;
    let browser = Browser::start(&scratch).await;
    browser.goto(&format!("{}/", server.base)).await;

    // Ready: the full length, connected, status pill hidden.
    let seen = browser
        .speaker_until("the ready page at 2:00", |s| {
            s.phase.as_deref() == Some("ready")
                && s.digits == "2:00"
                && s.status == "connected"
                && s.tab_title == "2:00 · Opening — Podium"
        })
        .await;
    assert!(
        !seen.status_visible,
        "the status pill hides once connected: {seen:#?}"
    );
    assert_eq!(seen.message, None);
    assert_eq!(seen.tab_title, "2:00 · Opening — Podium", "{seen:#?}");
    assert_readable(&seen);
    browser.screenshot("speaker-ready.png").await;

    let state = server.command(r#"{"cmd":"start"}"#).await;
    assert_eq!(state["phase"], "running", "{state}");

    // Running (about 1 s real): counting down from 2:00 on a near-black screen.
    let seen = browser
        .speaker_in("running", |s| {
            s.tab_title == format!("{} · Opening — Podium", s.digits)
        })
        .await;
    let secs = shown_seconds(&seen.digits).expect("m:ss digits");
    assert!(
        (60..=120).contains(&secs),
        "running shows 1:00–2:00: {seen:#?}"
    );
    // Issue 14: the tab's title carries the same digits, updated where they are drawn.
    assert_eq!(
        seen.tab_title,
        format!("{} · Opening — Podium", seen.digits),
        "{seen:#?}"
    );
    assert!(
        seen.background.is_dark(),
        "running is near-black: {seen:#?}"
    );

    // Warning at 1:00 left (about 1 s real): amber, black digits.
    let seen = browser.speaker_in("warning", |_| true).await;
    let secs = shown_seconds(&seen.digits).expect("m:ss digits");
    assert!(
        (1..=60).contains(&secs),
        "warning shows 0:01–1:00: {seen:#?}"
    );
    assert!(seen.background.is_amber(), "warning is amber: {seen:#?}");
    assert!(
        seen.digits_colour.is_dark(),
        "black digits on amber: {seen:#?}"
    );
    assert_readable(&seen);
    browser
        .screenshot_in("warning", "speaker-warning.png")
        .await;

    // Overtime (about 1 s real): red, counting up with a "+".
    let seen = browser
        .speaker_in("overtime", |s| {
            s.digits.starts_with('+') && s.tab_title == format!("{} · Opening — Podium", s.digits)
        })
        .await;
    let secs = shown_seconds(&seen.digits).expect("+m:ss digits");
    assert!(
        (-60..=-1).contains(&secs),
        "overtime shows +0:01–+1:00: {seen:#?}"
    );
    assert_eq!(
        seen.tab_title,
        format!("{} · Opening — Podium", seen.digits),
        "{seen:#?}"
    );
    assert!(seen.background.is_red(), "overtime is red: {seen:#?}");
    assert_readable(&seen);
    browser
        .screenshot_in("overtime", "speaker-overtime.png")
        .await;

    // Over max (from +1:00 on, for good): red, flashing dark red.
    let seen = browser.speaker_in("over-max", |_| true).await;
    assert!(
        seen.digits.starts_with('+'),
        "over-max counts up: {seen:#?}"
    );
    assert!(seen.background.is_red(), "over-max is red: {seen:#?}");
    assert_readable(&seen);
    browser.screenshot("speaker-over-max.png").await;

    // A message from the moderator appears above the clock.
    server
        .command(r#"{"cmd":"message","text":"Wrap up please"}"#)
        .await;
    let seen = browser
        .speaker_until("the message", |s| {
            s.message.as_deref() == Some("Wrap up please")
        })
        .await;
    assert_readable(&seen);
    browser.screenshot("speaker-message.png").await;

    // The server stops: the page says so and keeps trying.
    let status = server.terminate().await;
    assert!(
        status.success(),
        "podium exits cleanly on SIGTERM: {status}"
    );
    let seen = browser
        .speaker_until("the reconnecting status", |s| s.status == "reconnecting")
        .await;
    assert!(seen.status_visible, "the status pill shows: {seen:#?}");
    assert!(
        seen.status_text.contains("reconnecting"),
        "the status says reconnecting: {seen:#?}"
    );
    browser.screenshot("speaker-reconnecting.png").await;

    browser.close().await;
}

/// Issue 11: a server that goes silent without closing anything (SIGSTOP: the socket stays open,
/// nothing arrives, no `bye`) is noticed within 3 s by the missing `alive` frames — pages cannot
/// see WebSocket pings — and shown as a lost connection; once it runs again the page reconnects.
#[tokio::test]
async fn the_speaker_page_notices_a_silent_server_within_seconds_and_recovers() {
    use nix::sys::signal::Signal;
    if !browser_available() {
        return;
    }
    let scratch = Scratch::new("silent");
    let server = podium(&scratch, "1").await;
    let browser = Browser::start(&scratch).await;
    browser.goto(&format!("{}/", server.base)).await;
    browser
        .speaker_until("the connected ready page", |s| {
            s.status == "connected" && s.digits == "2:00"
        })
        .await;
    // Past the first ping burst, so only the idle traffic is left.
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;

    server.signal(Signal::SIGSTOP);
    let stopped = Instant::now();
    let seen = browser
        .speaker_until("the lost connection", |s| s.status == "reconnecting")
        .await;
    let noticed = stopped.elapsed();
    server.signal(Signal::SIGCONT);
    eprintln!("a silent server noticed after {noticed:?}");
    assert!(seen.status_visible, "the status pill shows: {seen:#?}");
    assert!(seen.status_text.contains("reconnecting"), "{seen:#?}");
    // The rule is 3 s after the last frame; the bound leaves room for a loaded machine.
    assert!(
        noticed <= std::time::Duration::from_secs(6),
        "noticed only after {noticed:?}"
    );
    browser.screenshot("speaker-silent-server.png").await;

    let seen = browser
        .speaker_until("the page connected again", |s| s.status == "connected")
        .await;
    assert!(!seen.status_visible, "{seen:#?}");
    assert_eq!(seen.digits, "2:00");
    browser.close().await;
}

// ---- The moderator page --------------------------------------------------------------------------

#[tokio::test]
async fn control_page_lists_the_show_and_starts_it() {
    if !browser_available() {
        return;
    }
    // Real-time speed: the first segment stays "running" for a minute, ample time to look.
    let scratch = Scratch::new("control");
    let server = podium(&scratch, "1").await;
    let browser = Browser::start(&scratch).await;
    browser
        .goto(&format!("{}/control#token={TOKEN}", server.base))
        .await;

    browser
        .wait_true(
            "three run-of-show rows and a live connection",
            r#"return document.querySelectorAll('#show-rows tr[data-index]').length === 3
                && document.getElementById('status').dataset.state === 'connected';"#,
        )
        .await;
    let titles: Vec<String> = browser
        .eval(
            r#"return [...document.querySelectorAll('#show-rows tr[data-index] .what')]
                .map((td) => td.textContent);"#,
        )
        .await;
    assert_eq!(titles, ["Opening", "Keynote", "Q&A"]);
    let (status, state) = server.get("/api/state").await;
    assert_eq!((status, &state["phase"]), (200, &json!("ready")), "{state}");

    let toggle = browser
        .client
        .find(Locator::Css("#toggle"))
        .await
        .expect("the page has a #toggle button");
    assert_eq!(toggle.text().await.expect("button text"), "Start");
    toggle.click().await.expect("#toggle is clickable");

    let deadline = Instant::now() + DEADLINE;
    loop {
        let (status, state) = server.get("/api/state").await;
        assert_eq!(status, 200, "{state}");
        if state["phase"] == "running" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the show did not start after clicking #toggle: {state}"
        );
        tokio::time::sleep(POLL).await;
    }
    browser
        .wait_true(
            "the page to show the running segment",
            r#"return document.getElementById('now').dataset.phase === 'running'
                && document.getElementById('toggle').textContent === 'Pause'
                && document.querySelector('#show-rows tr[data-index="0"]')
                       ?.classList.contains('current') === true;"#,
        )
        .await;
    browser.screenshot("control.png").await;

    browser.close().await;
}

#[tokio::test]
async fn a_rehearsal_shows_its_badge_on_the_speaker_page() {
    if !browser_available() {
        return;
    }
    let scratch = Scratch::new("rehearsal");
    let journal = scratch.join("run.jsonl");
    let server = Process::start(&["run", SHOW, "--rehearsal", "--journal", &journal]).await;
    let browser = Browser::start(&scratch).await;
    browser.goto(&format!("{}/", server.base)).await;
    browser
        .wait_true(
            "the rehearsal badge",
            r#"const b = document.getElementById('rehearsal');
               return document.body.dataset.phase === 'ready' && !b.hidden
                   && b.getBoundingClientRect().height > 0;"#,
        )
        .await;
    browser.screenshot("speaker-rehearsal.png").await;
    browser.close().await;
}

/// Issue 4: the moderator sees the slack, presses "Fit to end" and sees what changed and the
/// re-planned rest of the show.
#[tokio::test]
async fn control_page_fits_the_show_to_its_end() {
    if !browser_available() {
        return;
    }
    let scratch = Scratch::new("control-fit");
    let journal = scratch.join("run.jsonl");
    let server = Process::start(&["run", "tests/sessions/slot.toml", "--journal", &journal]).await;
    let browser = Browser::start(&scratch).await;
    browser
        .goto(&format!("{}/control#token={TOKEN}", server.base))
        .await;
    browser
        .wait_true(
            "the slack of a show five minutes too long",
            r#"return document.getElementById('slack').textContent.startsWith('ends 5:00 late')
                && document.querySelectorAll('#show-rows tr[data-index]').length === 3;"#,
        )
        .await;
    let fit = browser
        .client
        .find(Locator::Css("button[data-cmd=fit]"))
        .await
        .expect("the page has a Fit button");
    fit.click().await.expect("the Fit button is clickable");
    browser
        .wait_true(
            "what the fit changed, the new slack and the re-planned Q&A",
            r#"return document.getElementById('feedback').textContent.includes('3. Q&A 10:00 → 5:00')
                && document.getElementById('slack').textContent.startsWith('ends on time')
                && document.querySelector('#show-rows tr[data-index="2"]')
                       ?.textContent.includes('10:00 → 5:00') === true;"#,
        )
        .await;
    browser.screenshot("control-fit.png").await;
    browser.close().await;
}

// ---- Views and cues (issue 7) --------------------------------------------------------------------

/// The views test session: real-time speed, phases reached with `adjust`.
const VIEWS_SHOW: &str = "tests/sessions/views.toml";

/// Viewports every view is photographed at: a stage monitor, a laptop, a phone held upright.
const SIZES: [(u32, u32); 3] = [(1920, 1080), (1280, 720), (390, 844)];

/// The three views, by URL path.
const VIEWS: [(&str, &str); 3] = [
    ("speaker", "/"),
    ("overlay", "/?view=overlay"),
    ("agenda", "/agenda"),
];

/// What a view shows and whether its layout holds, read in one script. `name` is the view.
const LAYOUT: &str = r#"
    const view = arguments[0];
    const vw = innerWidth, vh = innerHeight;
    const shown = (el) => {
        if (!el || el.closest('[hidden]')) return false;
        const cs = getComputedStyle(el);
        if (cs.display === 'none' || cs.visibility === 'hidden') return false;
        const r = el.getBoundingClientRect();
        return r.width > 0 && r.height > 0;
    };
    // Text elements are measured by their text, clipped to their box (an ellipsis hides the rest;
    // the digits' line box is one em, tighter than the font's ascent and descent); boxes by their
    // border box.
    const textRect = (el) => {
        const range = document.createRange();
        range.selectNodeContents(el);
        const t = range.getBoundingClientRect(), b = el.getBoundingClientRect();
        const cs = getComputedStyle(el);
        const left = Math.max(t.left, b.left + parseFloat(cs.paddingLeft));
        const right = Math.min(t.right, b.right - parseFloat(cs.paddingRight));
        const top = Math.max(t.top, b.top), bottom = Math.min(t.bottom, b.bottom);
        return { left, right, top, bottom, width: right - left, height: bottom - top };
    };
    const parts = [];
    const add = (name, el, text) => {
        if (shown(el)) parts.push({ name, r: text ? textRect(el) : el.getBoundingClientRect() });
    };
    let phase = null, words = null, digits = null, digitsBox = null;
    if (view === 'agenda') {
        add('title', document.getElementById('title'), true);
        add('meta', document.querySelector('.agenda-meta'), true);
        add('foot', document.querySelector('.agenda-foot'), true);
        document.querySelectorAll('.agenda-row').forEach((row, i) => {
            for (const c of row.querySelectorAll('.when, .item-title, .item-by, .left')) {
                add(`row${i}.${c.className}`, c, true);
            }
        });
        const current = document.querySelector('.agenda-row[data-status="current"]');
        phase = current?.dataset.phase ?? null;
        digits = current?.querySelector('.left')?.textContent ?? null;
    } else {
        for (const id of ['title', 'speaker', 'next', 'local', 'remaining']) {
            add(id, document.getElementById(id), true);
        }
        // Issue 14: the progress bar, "ends at" and "Pop out" (context.js, popout.js) too.
        for (const id of ['message', 'label', 'sound', 'status', 'rehearsal', 'progress', 'popout']) {
            add(id, document.getElementById(id), false);
        }
        add('ends-at', document.getElementById('ends-at'), true);
        phase = document.body.dataset.phase ?? null;
        const label = document.getElementById('label');
        words = shown(label) ? label.textContent : '';
        const d = document.getElementById('remaining');
        digits = shown(d) ? d.textContent : null;
        if (digits != null) {
            const r = textRect(d), line = d.getBoundingClientRect();
            digitsBox = { width: r.width / vw, height: line.height / vh };
        }
    }
    const overlaps = [];
    for (let i = 0; i < parts.length; i++) {
        for (let j = i + 1; j < parts.length; j++) {
            const a = parts[i].r, b = parts[j].r;
            const x = Math.min(a.right, b.right) - Math.max(a.left, b.left);
            const y = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
            if (x > 1 && y > 1) overlaps.push(`${parts[i].name} × ${parts[j].name}`);
        }
    }
    const outside = parts
        .filter(({ r }) => r.left < -1 || r.top < -1 || r.right > vw + 1 || r.bottom > vh + 1)
        .map(({ name, r }) => `${name} ${Math.round(r.left)},${Math.round(r.top)}–${Math.round(r.right)},${Math.round(r.bottom)}`);
    const root = document.documentElement;
    return {
        viewport: [vw, vh],
        phase, words, digits, digits_box: digitsBox,
        screen: document.body.dataset.screen ?? null,
        parts: parts.map((p) => p.name),
        overlaps, outside,
        scrolls: root.scrollWidth > vw + 1 || root.scrollHeight > vh + 1,
        backgrounds: [getComputedStyle(root).backgroundColor, getComputedStyle(document.body).backgroundColor],
        connected: document.getElementById('status')?.dataset.state === 'connected',
        rows: document.querySelectorAll('.agenda-row').length,
    };
"#;

#[derive(Debug, Deserialize)]
struct Layout {
    viewport: (f64, f64),
    phase: Option<String>,
    words: Option<String>,
    digits: Option<String>,
    digits_box: Option<DigitsBox>,
    screen: Option<String>,
    parts: Vec<String>,
    overlaps: Vec<String>,
    outside: Vec<String>,
    scrolls: bool,
    backgrounds: (String, String),
    connected: bool,
    rows: usize,
}

#[derive(Debug, Deserialize)]
struct DigitsBox {
    width: f64,
    height: f64,
}

impl Browser {
    async fn layout(&self, view: &str) -> Layout {
        let value = self
            .client
            .execute(LAYOUT, vec![json!(view)])
            .await
            .unwrap_or_else(|e| panic!("the layout script runs: {e}"));
        serde_json::from_value(value.clone())
            .unwrap_or_else(|e| panic!("layout has the expected shape ({e}): {value}"))
    }

    /// Polls the view's layout until `done` holds; fails after `DEADLINE`.
    async fn layout_until(&self, view: &str, done: impl Fn(&Layout) -> bool) -> Layout {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let seen = self.layout(view).await;
            if done(&seen) {
                return seen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting on the {view} view: {seen:#?}"
            );
            tokio::time::sleep(POLL).await;
        }
    }
}

/// One step of the views test: the phase the show is in and the words the speaker must see.
struct Shot {
    phase: &'static str,
    /// The speaker view's words must start with this ("" for none).
    words: &'static str,
    views: &'static [&'static str],
}

/// Photographs each view in `shot` at every size and checks what can be checked: the phase and
/// its words, nothing outside the viewport or overlapping, big digits, a transparent overlay.
async fn photograph(browser: &Browser, server: &Process, shot: &Shot) {
    for (view, path) in VIEWS {
        if !shot.views.contains(&view) {
            continue;
        }
        browser.goto(&format!("{}{path}", server.base)).await;
        for size in SIZES {
            browser.viewport(size).await;
            let name = format!("{view}-{}-{}x{}.png", shot.phase, size.0, size.1);
            let want_phase = match (view, shot.phase) {
                ("agenda", "ready" | "finished") => None,
                (_, phase) => Some(phase),
            };
            let seen = browser
                .layout_until(view, |l| {
                    l.connected
                        && l.viewport == (f64::from(size.0), f64::from(size.1))
                        && l.phase.as_deref() == want_phase.or(l.phase.as_deref())
                        && (view != "agenda" || l.rows == 3)
                })
                .await;
            // Saved before the checks, so a failing layout can be looked at.
            browser.capture(&name, size.0).await;
            assert_eq!(seen.phase.as_deref(), want_phase, "{name}: {seen:#?}");
            assert!(seen.overlaps.is_empty(), "{name}: parts overlap: {seen:#?}");
            assert!(
                seen.outside.is_empty(),
                "{name}: parts overflow the viewport: {seen:#?}"
            );
            assert!(!seen.scrolls, "{name}: the page scrolls: {seen:#?}");
            match view {
                "speaker" => {
                    let words = seen.words.as_deref().unwrap_or_default();
                    assert!(
                        words.starts_with(shot.words)
                            && (shot.words.is_empty() == words.is_empty()),
                        "{name}: the phase in words should start {:?}: {seen:#?}",
                        shot.words
                    );
                    if shot.phase == "stopped" {
                        assert_eq!(seen.digits.as_deref(), Some("0:00"), "{name}: {seen:#?}");
                    }
                    let digits = seen.digits_box.as_ref().expect("speaker digits shown");
                    assert!(
                        digits.width > 0.55 || digits.height > 0.3,
                        "{name}: the digits do not fill the screen: {seen:#?}"
                    );
                }
                "overlay" => {
                    for background in [&seen.backgrounds.0, &seen.backgrounds.1] {
                        assert_eq!(
                            background, "rgba(0, 0, 0, 0)",
                            "{name}: the overlay is transparent: {seen:#?}"
                        );
                    }
                    assert_eq!(
                        seen.parts,
                        ["remaining"],
                        "{name}: the overlay shows the digits only: {seen:#?}"
                    );
                    let digits = seen.digits_box.as_ref().expect("overlay digits shown");
                    assert!(
                        digits.width > 0.6,
                        "{name}: digits fill the width: {seen:#?}"
                    );
                }
                _ => assert!(
                    seen.parts.len() >= 9,
                    "{name}: agenda rows shown: {seen:#?}"
                ),
            }
        }
    }
}

#[tokio::test]
async fn every_view_in_every_phase_at_every_size() {
    if !browser_available() {
        return;
    }
    let scratch = Scratch::new("views");
    let journal = scratch.join("run.jsonl");
    let server = Process::start(&["run", VIEWS_SHOW, "--speed", "1", "--journal", &journal]).await;
    let browser = Browser::start(&scratch).await;
    // Overlay screenshots keep their transparency (alpha 0 where nothing is painted).
    browser
        .cdp(
            "Emulation.setDefaultBackgroundColorOverride",
            json!({"color": {"r": 0, "g": 0, "b": 0, "a": 0}}),
        )
        .await;
    const ALL: &[&str] = &["speaker", "overlay", "agenda"];
    const SPEAKER: &[&str] = &["speaker"];
    const COUNTDOWN: &[&str] = &["speaker", "overlay"];

    photograph(
        &browser,
        &server,
        &Shot {
            phase: "ready",
            words: "Ready",
            views: ALL,
        },
    )
    .await;
    server.command(r#"{"cmd":"start"}"#).await;
    photograph(
        &browser,
        &server,
        &Shot {
            phase: "running",
            words: "",
            views: COUNTDOWN,
        },
    )
    .await;
    server.command(r#"{"cmd":"pause"}"#).await;
    photograph(
        &browser,
        &server,
        &Shot {
            phase: "paused",
            words: "Paused",
            views: SPEAKER,
        },
    )
    .await;
    server.command(r#"{"cmd":"resume"}"#).await;
    // 1:50 left: "1 minute left" for the next 50 seconds.
    server.command(r#"{"cmd":"adjust","seconds":-490}"#).await;
    photograph(
        &browser,
        &server,
        &Shot {
            phase: "warning",
            words: "1 minute left",
            views: ALL,
        },
    )
    .await;
    // About 1:10 over; the hard limit is 10 minutes over.
    server.command(r#"{"cmd":"adjust","seconds":-180}"#).await;
    photograph(
        &browser,
        &server,
        &Shot {
            phase: "overtime",
            words: "Over by ",
            views: COUNTDOWN,
        },
    )
    .await;
    server.command(r#"{"cmd":"adjust","seconds":-600}"#).await;
    photograph(
        &browser,
        &server,
        &Shot {
            phase: "over-max",
            words: "Past the limit",
            views: ALL,
        },
    )
    .await;

    // The moderator shows only a message, then blanks the screen.
    server
        .command(r#"{"cmd":"message","text":"Your microphone is muted"}"#)
        .await;
    server.command(r#"{"cmd":"focus","on":true}"#).await;
    browser.goto(&format!("{}/", server.base)).await;
    for size in SIZES {
        browser.viewport(size).await;
        let seen = browser
            .layout_until("speaker", |l| {
                l.connected
                    && l.screen.as_deref() == Some("focus")
                    && l.viewport == (f64::from(size.0), f64::from(size.1))
            })
            .await;
        assert_eq!(
            seen.parts,
            ["message"],
            "focus shows the message only: {seen:#?}"
        );
        assert!(seen.outside.is_empty(), "{seen:#?}");
        browser
            .capture(&format!("speaker-focus-{}x{}.png", size.0, size.1), size.0)
            .await;
    }
    server.command(r#"{"cmd":"blackout","on":true}"#).await;
    let seen = browser
        .layout_until("speaker", |l| l.screen.as_deref() == Some("blackout"))
        .await;
    assert!(seen.parts.is_empty(), "blackout shows nothing: {seen:#?}");
    assert_eq!(seen.backgrounds.1, "rgb(0, 0, 0)", "{seen:#?}");
    browser.capture("speaker-blackout-390x844.png", 390).await;
    server.command(r#"{"cmd":"blackout","on":false}"#).await;
    server.command(r#"{"cmd":"focus","on":false}"#).await;
    server.command(r#"{"cmd":"message","text":""}"#).await;

    // The hard-stop segment runs out: frozen at 0:00, "Time's up".
    server.command(r#"{"cmd":"next"}"#).await;
    server.command(r#"{"cmd":"adjust","seconds":-298}"#).await;
    let deadline = Instant::now() + DEADLINE;
    while server.get("/api/state").await.1["phase"] != "stopped" {
        assert!(Instant::now() < deadline, "the hard stop did not stop");
        tokio::time::sleep(POLL).await;
    }
    photograph(
        &browser,
        &server,
        &Shot {
            phase: "stopped",
            words: "Time's up",
            views: ALL,
        },
    )
    .await;

    server.command(r#"{"cmd":"goto","index":2}"#).await;
    server.command(r#"{"cmd":"start"}"#).await;
    server.command(r#"{"cmd":"next"}"#).await;
    photograph(
        &browser,
        &server,
        &Shot {
            phase: "finished",
            words: "",
            views: &["speaker", "agenda"],
        },
    )
    .await;

    browser.close().await;
}

/// The chime is opt-in: after a click on "Sound off" it rings at the warning, at zero and past the
/// limit (each once), live at `--speed 60`; the page holds a wake lock while the segment runs.
#[tokio::test]
async fn the_chime_rings_at_each_stage_once_sound_is_on() {
    if !browser_available() {
        return;
    }
    let scratch = Scratch::new("chime");
    let server = podium(&scratch, "60").await;
    let browser = Browser::start(&scratch).await;
    browser.goto(&format!("{}/", server.base)).await;
    const SOUND: &str = r#"
        const b = document.getElementById('sound');
        return [b.dataset.sound ?? '', b.dataset.chimes ?? '0', b.dataset.lastChime ?? '',
                b.textContent, document.body.dataset.phase ?? '', document.body.dataset.awake ?? ''];
    "#;
    browser
        .wait_true(
            "the page to connect",
            "return document.getElementById('status').dataset.state === 'connected';",
        )
        .await;
    let before: Vec<String> = browser.eval(SOUND).await;
    assert_eq!(before[0], "off", "sound starts off: {before:?}");
    assert_eq!(before[3], "Sound off");
    browser
        .client
        .find(Locator::Css("#sound"))
        .await
        .expect("the page has a sound control")
        .click()
        .await
        .expect("the sound control is clickable");
    browser
        .wait_true(
            "sound on and the test chime",
            r#"const b = document.getElementById('sound');
               return b.dataset.sound === 'on' && b.dataset.lastChime === 'test';"#,
        )
        .await;
    assert_eq!(before[5], "", "no wake lock before the start: {before:?}");
    server.command(r#"{"cmd":"start"}"#).await;
    browser
        .wait_true(
            "a screen wake lock while the segment runs",
            "return document.body.dataset.awake === 'true';",
        )
        .await;
    for (cue, count) in [("warning", "2"), ("zero", "3"), ("over-max", "4")] {
        browser
            .wait_true(
                &format!("the {cue} chime"),
                &format!(
                    r#"const b = document.getElementById('sound');
                       return b.dataset.lastChime === '{cue}' && b.dataset.chimes === '{count}';"#
                ),
            )
            .await;
    }
    let after: Vec<String> = browser.eval(SOUND).await;
    assert_eq!(after[4], "over-max", "{after:?}");
    assert_eq!(after[1], "4", "one chime per stage, no more: {after:?}");
    // Pausing lets the screen sleep again.
    server.command(r#"{"cmd":"pause"}"#).await;
    browser
        .wait_true(
            "the wake lock released when paused",
            "return document.body.dataset.awake === undefined;",
        )
        .await;
    browser.close().await;
}

/// The moderator switches blackout and message-only from the control page (button and key); the
/// buttons show the state, and the speaker's screen follows.
#[tokio::test]
async fn control_page_switches_blackout_and_message_only() {
    if !browser_available() {
        return;
    }
    let scratch = Scratch::new("switches");
    let server = podium(&scratch, "1").await;
    let browser = Browser::start(&scratch).await;
    browser
        .goto(&format!("{}/control#token={TOKEN}", server.base))
        .await;
    browser
        .wait_true(
            "a live connection",
            "return document.getElementById('status').dataset.state === 'connected';",
        )
        .await;
    browser
        .client
        .find(Locator::Css("#blackout"))
        .await
        .expect("the page has a #blackout button")
        .click()
        .await
        .expect("#blackout is clickable");
    browser
        .wait_true(
            "the blackout button pressed",
            "return document.getElementById('blackout').getAttribute('aria-pressed') === 'true';",
        )
        .await;
    assert_eq!(server.get("/api/state").await.1["blackout"], true);
    // The O key: message only (with nothing focused on the page).
    browser
        .eval::<serde_json::Value>(
            "document.activeElement?.blur();
             document.dispatchEvent(new KeyboardEvent('keydown', { key: 'o', bubbles: true }));
             return null;",
        )
        .await;
    browser
        .wait_true(
            "the message-only button pressed",
            "return document.getElementById('focus').getAttribute('aria-pressed') === 'true';",
        )
        .await;
    let state = server.get("/api/state").await.1;
    assert_eq!(
        (&state["blackout"], &state["focus"]),
        (&json!(true), &json!(true))
    );
    // A second click shows the screen again.
    browser
        .client
        .find(Locator::Css("#blackout"))
        .await
        .expect("the page has a #blackout button")
        .click()
        .await
        .expect("#blackout is clickable");
    browser
        .wait_true(
            "the blackout button released",
            "return document.getElementById('blackout').getAttribute('aria-pressed') === 'false';",
        )
        .await;
    assert_eq!(server.get("/api/state").await.1["blackout"], false);
    browser.close().await;
}

// ---- Issue 10 ------------------------------------------------------------------------------------

/// Issue 10: "message only" reduces the speaker's screen to the message, but the overlay is what a
/// broadcast audience sees (it never shows moderator messages): it keeps its digits.
#[tokio::test]
async fn the_overlay_keeps_its_digits_in_message_only_mode() {
    if !browser_available() {
        return;
    }
    let scratch = Scratch::new("overlay-focus");
    let server = podium(&scratch, "1").await;
    let browser = Browser::start(&scratch).await;
    server.command(r#"{"cmd":"start"}"#).await;
    server
        .command(r#"{"cmd":"message","text":"Your microphone is muted"}"#)
        .await;
    server.command(r#"{"cmd":"focus","on":true}"#).await;
    browser
        .goto(&format!("{}/?view=overlay", server.base))
        .await;
    browser.viewport((1920, 1080)).await;
    let seen = browser
        .layout_until("overlay", |l| {
            l.connected && l.screen.as_deref() == Some("focus") && l.viewport == (1920.0, 1080.0)
        })
        .await;
    browser.capture("overlay-focus-1920x1080.png", 1920).await;
    assert_eq!(
        seen.parts,
        ["remaining"],
        "the overlay shows its digits, and never the message: {seen:#?}"
    );
    let digits = seen.digits_box.as_ref().expect("overlay digits shown");
    assert!(digits.width > 0.6, "digits fill the width: {seen:#?}");
    browser.close().await;
}

/// Phones upright and held sideways, a laptop and a stage monitor (issue 10's sizes).
const PHONE_SIZES: [(u32, u32); 5] = [
    (390, 844),
    (844, 390),
    (667, 375),
    (1366, 768),
    (1920, 1080),
];

/// The speaker page's boxes (the digits by their text), whether the message is clipped, and
/// which boxes intersect.
const BOXES: &str = r#"
    const $ = (id) => document.getElementById(id);
    const shown = (el) => el && !el.hidden && getComputedStyle(el).display !== 'none'
        && el.getBoundingClientRect().height > 0;
    const rect = (el) => {
        if (!shown(el)) return null;
        let r = el.getBoundingClientRect();
        if (el.id === 'remaining') {
            const range = document.createRange();
            range.selectNodeContents(el);
            const t = range.getBoundingClientRect();
            r = { left: t.left, right: t.right, top: r.top, bottom: r.bottom };
        }
        return { left: r.left, top: r.top, right: r.right, bottom: r.bottom };
    };
    const boxes = {};
    for (const id of ['title', 'speaker', 'message', 'label', 'remaining', 'status', 'next']) {
        boxes[id] = rect($(id));
    }
    const hit = (a, b) => a && b && Math.min(a.right, b.right) - Math.max(a.left, b.left) > 1
        && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 1;
    const names = Object.keys(boxes);
    const overlaps = [];
    for (let i = 0; i < names.length; i++) {
        for (let j = i + 1; j < names.length; j++) {
            if (hit(boxes[names[i]], boxes[names[j]])) overlaps.push(`${names[i]} × ${names[j]}`);
        }
    }
    const outside = names.filter((n) => {
        const r = boxes[n];
        return r && (r.left < -1 || r.top < -1 || r.right > innerWidth + 1 || r.bottom > innerHeight + 1);
    });
    const m = $('message');
    return {
        outside,
        viewport: [innerWidth, innerHeight],
        status: $('status').dataset.state,
        message: shown(m) ? m.textContent : null,
        message_inside: !shown(m) || (boxes.message.left >= -1 && boxes.message.top >= -1
            && boxes.message.right <= innerWidth + 1 && boxes.message.bottom <= innerHeight + 1),
        message_clipped: shown(m) && (m.scrollHeight > m.clientHeight + 1
            || m.scrollWidth > m.clientWidth + 1),
        // The digits' height against the viewport's shorter side (a phone upright is narrow).
        digits_size: boxes.remaining
            ? (boxes.remaining.bottom - boxes.remaining.top) / Math.min(innerWidth, innerHeight) : 0,
        overlaps,
    };
"#;

#[derive(Debug, Deserialize)]
struct Boxes {
    viewport: (f64, f64),
    status: String,
    message: Option<String>,
    message_inside: bool,
    message_clipped: bool,
    digits_size: f64,
    overlaps: Vec<String>,
    /// Boxes that leave the viewport.
    outside: Vec<String>,
}

impl Browser {
    /// The speaker page's boxes at `size`, once `done` holds.
    async fn boxes_at(&self, size: (u32, u32), done: impl Fn(&Boxes) -> bool) -> Boxes {
        self.viewport(size).await;
        let deadline = Instant::now() + DEADLINE;
        loop {
            let seen: Boxes = self.eval(BOXES).await;
            if seen.viewport == (f64::from(size.0), f64::from(size.1)) && done(&seen) {
                return seen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out at {size:?}: {seen:#?}"
            );
            tokio::time::sleep(POLL).await;
        }
    }
}

/// Issue 10: a moderator's message fits a phone held sideways (844×390, 667×375: the second line
/// was clipped) and every other size, next to digits that stay big enough to read; the reconnect
/// banner never covers the title (or anything else). Screenshots: `speaker-message-*.png`,
/// `speaker-banner-*.png`.
#[tokio::test]
async fn a_message_and_the_reconnect_banner_fit_phones_and_screens() {
    if !browser_available() {
        return;
    }
    let scratch = Scratch::new("phones");
    let journal = scratch.join("run.jsonl");
    let mut server =
        Process::start(&["run", VIEWS_SHOW, "--speed", "1", "--journal", &journal]).await;
    let browser = Browser::start(&scratch).await;
    server.command(r#"{"cmd":"start"}"#).await;
    browser.goto(&format!("{}/", server.base)).await;
    let messages = [
        (
            "two-lines",
            "Please wrap up in two minutes — the Q&A starts at 10:45",
        ),
        (
            "long",
            "Your slides are frozen on the stream: please share your screen again, and \
             keep going with the next point while we fix it on our side",
        ),
        (
            "longest",
            "The stream dropped for about a minute at 10:32: please repeat your last two \
             points about the ILO conventions for the online audience, then take the first \
             question from the chat (from Maria in Lisbon, on domestic workers), and end by \
             10:50 sharp: the hall is booked.",
        ),
    ];
    assert!(messages.iter().all(|(_, m)| m.chars().count() <= 280));
    // Every size is photographed and checked before the test fails, so all problems show at once.
    let mut problems = Vec::new();
    for (name, text) in messages {
        server
            .command(&json!({"cmd": "message", "text": text}).to_string())
            .await;
        for size in PHONE_SIZES {
            let seen = browser
                .boxes_at(size, |b| b.message.as_deref() == Some(text))
                .await;
            let shot = format!("speaker-message-{name}-{}x{}.png", size.0, size.1);
            browser.capture(&shot, size.0).await;
            if !seen.message_inside {
                problems.push(format!("{shot}: the message leaves the screen: {seen:?}"));
            }
            if seen.message_clipped {
                problems.push(format!("{shot}: the message is cut off: {seen:?}"));
            }
            if !seen.overlaps.is_empty() || !seen.outside.is_empty() {
                problems.push(format!(
                    "{shot}: boxes overlap or leave the screen: {seen:?}"
                ));
            }
            if seen.digits_size < 0.2 {
                problems.push(format!("{shot}: the digits shrank too far: {seen:?}"));
            }
        }
    }

    // Message only: the longest message, whole, at every size.
    server.command(r#"{"cmd":"focus","on":true}"#).await;
    for size in PHONE_SIZES {
        let seen = browser
            .boxes_at(size, |b| b.message.as_deref() == Some(messages[2].1))
            .await;
        let shot = format!("speaker-focus-longest-{}x{}.png", size.0, size.1);
        browser.capture(&shot, size.0).await;
        if !seen.message_inside || seen.message_clipped || !seen.outside.is_empty() {
            problems.push(format!("{shot}: the message does not fit: {seen:?}"));
        }
    }
    server.command(r#"{"cmd":"focus","on":false}"#).await;

    // The server stops: the banner says so, clear of the title and the message.
    let status = server.terminate().await;
    assert!(status.success(), "{status}");
    for size in PHONE_SIZES {
        let seen = browser.boxes_at(size, |b| b.status == "reconnecting").await;
        let shot = format!("speaker-banner-{}x{}.png", size.0, size.1);
        browser.capture(&shot, size.0).await;
        if !seen.overlaps.is_empty() || !seen.outside.is_empty() {
            problems.push(format!(
                "{shot}: boxes overlap or leave the screen: {seen:?}"
            ));
        }
        if seen.message_clipped {
            problems.push(format!("{shot}: the message is cut off: {seen:?}"));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
    browser.close().await;
}

// ---- Issue 14 ------------------------------------------------------------------------------------

/// A session with long titles, as real ones are: the show's, a segment's and a speaker's.
const LONG_TITLES: &str = r#"
title = "International Migration Law and the Protection of Migrant Workers — Session Four: Regional Perspectives"
timezone = "UTC"

[[segment]]
title = "Human rights perspectives on irregular migration and the protection of domestic workers in the Gulf states"
speaker = "Prof. Maximiliana Papadopoulou-Featherstonehaugh (University of Lisbon)"
duration = "20m"
warn = "2m"
notes = "Slides shared from her laptop; the chair reads questions from the chat"

[[segment]]
title = "Questions from the floor and from the online audience"
kind = "qa"
duration = "10m"
"#;

/// What a moderator on a phone sees of the control page: how wide the page is, and where the
/// primary buttons are (page coordinates, at the top of the page).
const CONTROL_FIT: &str = r#"
    scrollTo(0, 0);
    const box = (el) => {
        const r = el.getBoundingClientRect();
        return { left: r.left, top: r.top, right: r.right, bottom: r.bottom };
    };
    const primary = {};
    for (const [name, selector] of [
        ['start/pause', '#toggle'],
        ['previous', 'button[data-cmd=previous]'],
        ['next', 'button[data-cmd=next]'],
        ['-1 min', 'button[data-cmd=adjust][data-seconds="-60"]'],
        ['+1 min', 'button[data-cmd=adjust][data-seconds="60"]'],
    ]) {
        primary[name] = box(document.querySelector(selector));
    }
    return {
        viewport: [innerWidth, innerHeight],
        // The emulated phone's screen: its layout viewport widens to what overflows, it does not.
        screen: [screen.width, screen.height],
        scroll_width: document.documentElement.scrollWidth,
        screens: document.querySelectorAll('#screen-rows tr').length,
        connected: document.getElementById('status').dataset.state === 'connected',
        phase: document.getElementById('now').dataset.phase ?? null,
        primary,
    };
"#;

#[derive(Debug, Deserialize)]
struct ControlFit {
    viewport: (f64, f64),
    screen: (f64, f64),
    scroll_width: f64,
    screens: usize,
    connected: bool,
    phase: Option<String>,
    primary: std::collections::BTreeMap<String, Rect>,
}

#[derive(Debug, Deserialize)]
struct Rect {
    left: f64,
    top: f64,
    right: f64,
    bottom: f64,
}

/// Issue 14: a moderator runs a whole show from a phone. At 390×844 the control page fits the
/// width (it was 529 px wide: the connected-screens table overflowed) and start/pause, previous,
/// next and ±1 min are on the first screen (upright, and held sideways at 844×390), with a long show title, a long segment title and
/// several connected screens (one with a 40-character name). Screenshots:
/// `control-phone-390x844.png` (upright), `control-phone-844x390.png` (sideways) and
/// `control-phone-390x844-whole.png` (the whole page).
#[tokio::test]
async fn control_page_fits_a_phone() {
    if !browser_available() {
        return;
    }
    let scratch = Scratch::new("control-phone");
    let session = scratch.join("long-titles.toml");
    std::fs::write(&session, LONG_TITLES).expect("the scratch dir is writable");
    let journal = scratch.join("run.jsonl");
    let server = Process::start(&["run", &session, "--journal", &journal]).await;
    server.command(r#"{"cmd":"start"}"#).await;
    server
        .command(r#"{"cmd":"message","text":"Please wrap up in two minutes"}"#)
        .await;
    let mut screens = Vec::new();
    for name in [
        "Lectern%20(Hall%20B%2C%20left%20monitor)",
        "Maximiliana-Papadopoulou-Featherstonehau",
        "Neha%20Misra",
        "Confidence%20monitor%20%E2%80%94%20stage%20right",
    ] {
        screens.push(
            common::Client::connect(&format!("{}?name={name}&kind=page", server.ws_url())).await,
        );
    }
    let browser = Browser::start(&scratch).await;
    browser.viewport((390, 844)).await;
    browser
        .goto(&format!("{}/control#token={TOKEN}", server.base))
        .await;

    let mut problems = Vec::new();
    for size in [(390, 844), (844, 390)] {
        browser.viewport(size).await;
        let deadline = Instant::now() + DEADLINE;
        let seen = loop {
            let seen: ControlFit = browser.eval(CONTROL_FIT).await;
            let wanted = (f64::from(size.0), f64::from(size.1));
            // Phone-sized (mobile) emulation sets the screen; a wider one only the viewport.
            if (seen.screen == wanted || seen.viewport == wanted)
                && seen.connected
                && seen.phase.as_deref() == Some("running")
                && seen.screens >= 5
            {
                break seen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for the running show and five screens at {size:?}: {seen:#?}"
            );
            tokio::time::sleep(POLL).await;
        };
        let shot = format!("control-phone-{}x{}.png", size.0, size.1);
        browser.capture(&shot, size.0).await;
        eprintln!(
            "{shot}: page {} px wide; primary buttons {:?}",
            seen.scroll_width, seen.primary
        );
        if seen.scroll_width > f64::from(size.0) {
            problems.push(format!(
                "{shot}: the page is {} px wide on a {} px screen",
                seen.scroll_width,
                f64::from(size.0)
            ));
        }
        // Upright and sideways, the primary buttons are on the first screen.
        for (name, r) in &seen.primary {
            let within = r.left >= 0.0 && r.right <= f64::from(size.0) && r.top >= 0.0;
            if !within || r.bottom > f64::from(size.1) {
                problems.push(format!("{shot}: {name} is off the first screen: {r:?}"));
            }
        }
    }

    // The whole page upright, for a human to read through.
    let height: u32 = browser
        .eval("return Math.ceil(document.documentElement.scrollHeight);")
        .await;
    let height = height.max(844);
    browser.viewport((390, height)).await;
    browser
        .wait_true(
            "the viewport as tall as the page",
            &format!("return screen.height === {height};"),
        )
        .await;
    browser
        .capture("control-phone-390x844-whole.png", 390)
        .await;

    assert!(problems.is_empty(), "{problems:#?}");
    drop(screens);
    browser.close().await;
}
