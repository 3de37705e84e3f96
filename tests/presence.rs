//! Presence (issue 6): screens that connect to `/ws` are listed for the moderator, with their
//! name and the clock-sync estimate they report; viewers never receive the list, and
//! `GET /api/presence` needs the moderator token.

use crate::common;

use std::time::Duration;

use common::{Client, TOKEN, TestServer};
use serde_json::Value;

const SHOW: &str = "tests/sessions/short.toml";

async fn presence(server: &TestServer, token: Option<&str>) -> (u16, Value) {
    let mut req = reqwest::Client::new().get(server.url("/api/presence"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.expect("podium answers");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// Polls the list (with the token) until `pred` holds; fails after 5 s.
async fn screens_where(server: &TestServer, pred: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let (status, body) = presence(server, Some(TOKEN)).await;
        assert_eq!(status, 200, "{body}");
        let screens = body["screens"].as_array().cloned().unwrap_or_default();
        if pred(&screens) {
            return screens;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "presence never matched: {body}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn the_moderator_sees_named_screens_with_their_clock_estimates() {
    let server = TestServer::start(SHOW, 1.0).await;
    let url = format!("ws://{}/ws?name=Neha%20Misra&kind=page", server.addr);
    let mut neha = Client::connect(&url).await;
    neha.next_of("state").await;
    let mut anonymous = server.ws().await;
    anonymous.next_of("state").await;

    let screens = screens_where(&server, |s| s.len() == 2).await;
    assert_eq!(screens[0]["name"], "Neha Misra", "{screens:?}");
    assert_eq!(screens[0]["kind"], "page");
    assert_eq!(screens[0]["rtt_ms"], Value::Null, "nothing reported yet");
    assert_eq!(screens[1]["name"], Value::Null);
    assert!(
        screens[1]["connected_at_ms"]
            .as_i64()
            .is_some_and(|t| t > 0)
    );

    neha.send_text(r#"{"type":"sync","rtt_ms":151.5,"offset_ms":-2.25}"#)
        .await;
    let screens = screens_where(&server, |s| s[0]["rtt_ms"] == 151.5).await;
    assert_eq!(screens[0]["offset_ms"], -2.25);

    // A screen that leaves leaves the list.
    drop(neha);
    let screens = screens_where(&server, |s| s.len() == 1).await;
    assert_eq!(screens[0]["name"], Value::Null);
}

// Real time: real sockets (a paused clock would fire their timeouts at once).
#[tokio::test]
async fn presence_needs_the_token_and_never_reaches_viewers() {
    let server = TestServer::start(SHOW, 60.0).await;
    let (status, body) = presence(&server, None).await;
    assert_eq!(status, 401, "{body}");
    assert!(body.get("screens").is_none());
    let (status, body) = presence(&server, Some("wrong-token-123")).await;
    assert_eq!(status, 401, "{body}");

    let url = format!("ws://{}/ws?name=Viewer&kind=page", server.addr);
    let mut viewer = Client::connect(&url).await;
    let named = format!("ws://{}/ws?name=Zuzanna-7", server.addr);
    let mut other = Client::connect(&named).await;
    other
        .send_text(r#"{"type":"sync","rtt_ms":10,"offset_ms":1}"#)
        .await;
    viewer
        .send_text(r#"{"type":"ping","id":1,"client_ms":0}"#)
        .await;
    viewer
        .send_text(r#"{"type":"sync","rtt_ms":5,"offset_ms":0}"#)
        .await;
    server.command(r#"{"cmd":"start"}"#).await;
    // Everything a viewer receives over a few seconds of a running show (with commands, pings,
    // liveness frames and another screen reporting): states, its own pong and `alive`, nothing
    // about screens.
    let until = tokio::time::Instant::now() + Duration::from_millis(2_500);
    let mut kinds = std::collections::BTreeSet::new();
    while tokio::time::Instant::now() < until {
        let msg = viewer.next_json().await;
        let text = msg.to_string();
        assert!(
            !text.contains("Zuzanna") && !text.contains("screens") && !text.contains("rtt_ms"),
            "a viewer received presence data: {text}"
        );
        kinds.insert(msg["type"].as_str().unwrap_or("?").to_owned());
    }
    // `alive` (issue 11) comes whenever a second passed without another frame.
    kinds.remove("alive");
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        ["pong", "state"],
        "a sync report is not answered"
    );
    let screens = screens_where(&server, |s| s.len() == 2).await;
    assert_eq!(screens[1]["name"], "Zuzanna-7");
}

/// The moderator page lists a speaker page that named itself (`/?name=Neha`), with its round
/// trip and clock offset, and the moderator's own page as such; in headless Chromium.
#[tokio::test]
async fn the_control_page_lists_connected_screens() {
    use common::Process;
    use common::browser::{Browser, Scratch, browser_available};

    if !browser_available() {
        return;
    }
    let scratch = Scratch::new("presence");
    let journal = scratch.join("run.jsonl");
    let server = Process::start(&["run", SHOW, "--speed", "1", "--journal", &journal]).await;
    let browser = Browser::start(&scratch).await;
    browser.goto(&format!("{}/?name=Neha", server.base)).await;
    browser
        .wait_true(
            "the speaker page to connect",
            "return document.getElementById('status').dataset.state === 'connected';",
        )
        .await;

    // A wrong token before the moderator opens the page: the page says so.
    let wrong = reqwest::Client::new()
        .get(format!("{}/api/presence", server.base))
        .bearer_auth("not-the-moderator-token")
        .send()
        .await
        .expect("podium answers");
    assert_eq!(wrong.status().as_u16(), 401);

    // The moderator page in a second window of the same browser.
    let window = browser
        .client
        .new_window(false)
        .await
        .expect("a second window opens");
    browser
        .client
        .switch_to_window(window.handle)
        .await
        .expect("switch to the new window");
    browser
        .goto(&format!("{}/control#token={TOKEN}", server.base))
        .await;
    browser
        .wait_true(
            "a row for Neha with her round trip, and one for the moderator's own page",
            r#"const rows = [...document.querySelectorAll('#screen-rows tr')];
               return rows.some((tr) =>
                   tr.cells[0].textContent === 'Neha' && tr.cells[1].textContent === 'page'
                   && /^\d+\.\d ms$/.test(tr.cells[3].textContent)
                   && /^[+−]\d+\.\d ms$/.test(tr.cells[4].textContent))
                 && rows.some((tr) => tr.cells[1].textContent === 'moderator');"#,
        )
        .await;
    let rows: Vec<Vec<String>> = browser
        .eval(
            r#"return [...document.querySelectorAll('#screen-rows tr')]
                .map((tr) => [...tr.cells].map((td) => td.textContent));"#,
        )
        .await;
    assert!(
        rows.iter()
            .any(|r| r[0] == "moderator" && r[1] == "moderator"),
        "the moderator's own page is listed as such: {rows:?}"
    );
    browser
        .wait_true(
            "the wrong token to be reported",
            r#"const p = document.getElementById('failed-attempts');
               return !p.hidden && p.textContent.includes('1 from 127.0.0.1');"#,
        )
        .await;
    browser.screenshot("control-screens.png").await;
    browser.close().await;
}
