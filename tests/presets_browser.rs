//! Preset messages in headless Chromium against the real binary (issue 14): the control page's
//! one-tap preset buttons (a real click sends one; the one on screen is marked) at 1920×1080 and
//! on a phone at 390×844 (every button within the width, nothing scrolls sideways), the forgotten
//! start banner, and the speaker page flashing a message that arrives and chiming it when asked.
//! Screenshots: `target/screenshots/presets-control-desktop.png`, `presets-control-390x844.png`,
//! `presets-speaker-flash.png`.

use crate::common;

use common::browser::{Browser, Scratch, browser_available};
use common::{Process, TOKEN};
use fantoccini::Locator;
use serde::Deserialize;

/// The preset buttons as the control page shows them, read in one script.
#[derive(Debug, Deserialize)]
struct Presets {
    viewport: (f64, f64),
    scroll_width: f64,
    labels: Vec<String>,
    pressed: Vec<bool>,
    disabled: Vec<bool>,
    /// The rightmost edge of any preset button.
    right: f64,
    /// Each button's height (a thumb needs about 44 px).
    heights: Vec<f64>,
    banner: Option<String>,
}

const PRESETS: &str = r#"
    const buttons = [...document.querySelectorAll('#presets button')];
    const banner = document.getElementById('start-alert');
    return {
      viewport: [innerWidth, innerHeight],
      scroll_width: document.documentElement.scrollWidth,
      labels: buttons.map((b) => b.textContent),
      pressed: buttons.map((b) => b.getAttribute('aria-pressed') === 'true'),
      disabled: buttons.map((b) => b.disabled),
      right: Math.max(0, ...buttons.map((b) => b.getBoundingClientRect().right)),
      heights: buttons.map((b) => b.getBoundingClientRect().height),
      banner: banner.hidden ? null : banner.textContent,
    };
"#;

async fn presets(browser: &Browser) -> Presets {
    browser.eval(PRESETS).await
}

#[tokio::test]
async fn the_control_page_sends_presets_in_one_tap_on_a_desktop_and_a_phone() {
    if !browser_available() {
        return;
    }
    let scratch = Scratch::new("presets-control");
    // Planned 90 s ago and not started: the control page says so.
    let start = chrono::Utc::now() - chrono::Duration::seconds(90);
    let session = scratch.join("presets.toml");
    std::fs::write(
        &session,
        format!(
            "title = \"Regional webinar on labour mobility\"\ntimezone = \"UTC\"\nstart = \"{}\"\n\n\
             [[segment]]\ntitle = \"Opening\"\nspeaker = \"Chair\"\nduration = \"10m\"\n\n\
             [[segment]]\ntitle = \"Keynote\"\nduration = \"20m\"\n",
            start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ),
    )
    .expect("the scratch dir is writable");
    let journal = scratch.join("run.jsonl");
    let server = Process::start(&["run", &session, "--journal", &journal]).await;
    let browser = Browser::start(&scratch).await;
    browser
        .goto(&format!("{}/control#token={TOKEN}", server.base))
        .await;
    browser
        .wait_true(
            "five preset buttons, enabled, and the late-start banner",
            r#"const b = document.querySelectorAll('#presets button');
               return b.length === 5 && !b[0].disabled
                 && !document.getElementById('start-alert').hidden;"#,
        )
        .await;
    let seen = presets(&browser).await;
    assert_eq!(
        seen.labels,
        [
            "1 Please wrap up",
            "2 One minute left",
            "3 Time is up",
            "4 Speak louder",
            "5 Slow down"
        ]
    );
    assert!(seen.disabled.iter().all(|d| !d), "{seen:?}");
    let banner = seen.banner.clone().expect("the banner");
    assert!(
        banner.contains("has not started") && banner.contains(&start.format("%H:%M").to_string()),
        "{banner}"
    );

    // A real click on "2 One minute left" reaches the speaker; that button is marked.
    server.command(r#"{"cmd":"start"}"#).await;
    browser
        .client
        .find(Locator::Css(r#"#presets button[data-preset="2"]"#))
        .await
        .expect("preset 2's button")
        .click()
        .await
        .expect("clickable");
    browser
        .wait_true(
            "the message on screen and its button pressed",
            r#"return document.getElementById('message-current').textContent.includes('One minute left')
                 && document.querySelector('#presets button[data-preset="2"]').getAttribute('aria-pressed') === 'true'
                 && document.getElementById('start-alert').hidden;"#,
        )
        .await;
    let (_, state) = server.get("/api/state").await;
    assert_eq!(state["message"], "One minute left");
    assert_eq!(state["message_flash"], true);
    let seen = presets(&browser).await;
    assert_eq!(seen.pressed, [false, true, false, false, false]);
    browser.capture("presets-control-desktop.png", 1920).await;

    // The key 4 sends preset 4 (focus on the page, not in a field).
    browser
        .client
        .execute("document.activeElement?.blur(); return true;", Vec::new())
        .await
        .expect("blur");
    browser
        .client
        .find(Locator::Css("body"))
        .await
        .expect("the body")
        .send_keys("4")
        .await
        .expect("a key press");
    browser
        .wait_true(
            "preset 4 by its key",
            r#"return document.getElementById('message-current').textContent.includes('Speak louder');"#,
        )
        .await;

    // On a phone: every button within the width, big enough for a thumb, nothing sideways.
    browser.viewport((390, 844)).await;
    browser
        .wait_true(
            "the phone viewport",
            "return innerWidth === 390 && innerHeight === 844;",
        )
        .await;
    let seen = presets(&browser).await;
    eprintln!("390x844: {seen:?}");
    assert_eq!(seen.viewport, (390.0, 844.0));
    assert!(seen.scroll_width <= 390.0, "{seen:?}");
    assert!(
        seen.right <= 390.0,
        "a preset button past the edge: {seen:?}"
    );
    assert!(seen.heights.iter().all(|h| *h >= 44.0), "{seen:?}");
    // A command to type is never broken across lines ("-" then "-bind 0.0.0.0:PORT").
    let command_lines: Vec<usize> = browser
        .eval(
            "return [...document.querySelectorAll('.hint code')] \
             .filter((c) => c.offsetParent !== null).map((c) => c.getClientRects().length);",
        )
        .await;
    assert!(
        !command_lines.is_empty() && command_lines.iter().all(|n| *n == 1),
        "line boxes of each command shown: {command_lines:?}"
    );
    browser
        .client
        .execute(
            "document.getElementById('presets').scrollIntoView({block: 'center'}); return true;",
            Vec::new(),
        )
        .await
        .expect("scroll");
    browser.capture("presets-control-390x844.png", 390).await;
    browser
        .client
        .find(Locator::Css(r#"#presets button[data-preset="5"]"#))
        .await
        .expect("preset 5's button")
        .click()
        .await
        .expect("tappable");
    browser
        .wait_true(
            "preset 5 from the phone",
            r#"return document.getElementById('message-current').textContent.includes('Slow down');"#,
        )
        .await;
    browser.close().await;
}

#[tokio::test]
async fn the_speaker_page_flashes_a_message_that_arrives_and_chimes_when_asked() {
    if !browser_available() {
        return;
    }
    let scratch = Scratch::new("presets-flash");
    let journal = scratch.join("run.jsonl");
    let server = Process::start(&["run", common::SHORT, "--journal", &journal]).await;
    server.command(r#"{"cmd":"start"}"#).await;
    // A message already on screen when the page opens does not flash.
    server
        .command(r#"{"cmd":"message","text":"Old news"}"#)
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(3_200)).await;
    let browser = Browser::start(&scratch).await;
    browser.goto(&format!("{}/", server.base)).await;
    browser
        .wait_true(
            "the page connected, the old message shown",
            r#"return document.getElementById('status').dataset.state === 'connected'
                 && document.getElementById('message').textContent === 'Old news';"#,
        )
        .await;
    let flashing: Option<String> = browser
        .eval("return document.getElementById('message').dataset.flash ?? null;")
        .await;
    assert_eq!(flashing, None, "an old message does not flash");

    browser
        .client
        .find(Locator::Css("#sound"))
        .await
        .expect("the sound control")
        .click()
        .await
        .expect("clickable");
    browser
        .wait_true(
            "sound on",
            "return document.getElementById('sound').dataset.sound === 'on';",
        )
        .await;
    server
        .command(r#"{"cmd":"message","preset":1,"chime":true}"#)
        .await;
    browser
        .wait_true(
            "the new message flashing, and its chime",
            r#"const m = document.getElementById('message');
               return m.textContent === 'Please wrap up' && m.dataset.flash === 'on'
                 && document.getElementById('sound').dataset.lastChime === 'message';"#,
        )
        .await;
    // Mid-flash: the animation's brightest moment is a quarter second in.
    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    browser.screenshot("presets-speaker-flash.png").await;
    browser
        .wait_true(
            "the flash over after three seconds, the message still there",
            r#"const m = document.getElementById('message');
               return m.dataset.flash === undefined && m.textContent === 'Please wrap up';"#,
        )
        .await;
    // Without a flash: the message changes, nothing flashes.
    server
        .command(r#"{"cmd":"message","text":"Quietly","flash":false}"#)
        .await;
    browser
        .wait_true(
            "the quiet message",
            r#"return document.getElementById('message').textContent === 'Quietly';"#,
        )
        .await;
    let flashing: Option<String> = browser
        .eval("return document.getElementById('message').dataset.flash ?? null;")
        .await;
    assert_eq!(flashing, None);
    // The next segment takes the message away (message_clears = "segment").
    server.command(r#"{"cmd":"next"}"#).await;
    browser
        .wait_true(
            "no message on the next speaker's screen",
            "return document.getElementById('message').hidden;",
        )
        .await;
    browser.close().await;
}

/// Issue 14: a pause in overtime keeps saying how far over — on the control page too, whose phase
/// label said only "Paused" (the speaker page, the terminal and `podium follow` already did).
#[tokio::test]
async fn the_control_page_says_how_far_over_a_pause_in_overtime_is() {
    if !browser_available() {
        return;
    }
    let scratch = Scratch::new("pause-overtime");
    let journal = scratch.join("run.jsonl");
    // The 2-minute "Opening" at speed 60: overtime after about two real seconds.
    let server =
        Process::start(&["run", common::SHORT, "--speed", "60", "--journal", &journal]).await;
    let browser = Browser::start(&scratch).await;
    browser
        .goto(&format!("{}/control#token={TOKEN}", server.base))
        .await;
    server.command(r#"{"cmd":"start"}"#).await;
    let mut viewer = common::Client::connect(&server.ws_url()).await;
    viewer
        .state_where(|s| s["phase"] == "overtime" || s["phase"] == "over-max")
        .await;
    // Some seconds of show time past zero (a real fraction of a second at speed 60).
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let paused = server.command(r#"{"cmd":"pause"}"#).await;
    let over = paused["remaining_ms"].as_i64().expect("remaining");
    assert!(over <= -1000, "paused in overtime: {paused}");
    browser
        .wait_true(
            "the phase label says how far over",
            r#"return document.getElementById('phase').textContent.startsWith('Paused — ')
                 && document.getElementById('phase').textContent.includes('over by');"#,
        )
        .await;
    let label: String = browser
        .eval("return document.getElementById('phase').textContent;")
        .await;
    let digits: String = browser
        .eval("return document.getElementById('remaining').textContent;")
        .await;
    assert!(
        label.ends_with(digits.trim_start_matches('+')),
        "{label} / {digits}"
    );
    browser.close().await;
}
