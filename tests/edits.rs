//! Editing the run-of-show while it runs, over the wire (issue 14): edit commands on
//! `POST /api/command` and the socket, refused with reasons; every view sees the edited show at
//! once; the journal replays edits after a `kill -9` and the report shows the edited plan.

use serde_json::Value;
use unicode_width::UnicodeWidthStr as _;

use crate::common::{self, Process, TOKEN, TestServer, post_command};

fn titles(show: &Value) -> Vec<String> {
    show["segments"]
        .as_array()
        .expect("segments")
        .iter()
        .map(|s| s["title"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn edits_reach_every_view_at_once_and_bad_ones_are_refused_with_reasons() {
    let server = TestServer::start(common::SHORT, 1.0).await;
    let mut viewer = server.ws().await;
    viewer.next_of("state").await;
    server.command(r#"{"cmd":"start"}"#).await;

    // The next segment's title and speaker, changed: the speaker page's "next" follows.
    let state = server
        .command(r#"{"cmd":"edit","op":"set","segment":1,"title":"Keynote, revised","speaker":"Ana Ruiz","duration":"12m"}"#)
        .await;
    assert_eq!(state["revision"], 1);
    assert_eq!(state["next"]["title"], "Keynote, revised");
    assert_eq!(state["next"]["speaker"], "Ana Ruiz");
    let seen = viewer.state_where(|s| s["revision"] == 1).await;
    assert_eq!(seen["next"]["title"], "Keynote, revised");
    let (_, show) = server.get_as(Some(TOKEN), "/api/show").await;
    assert_eq!(show["segments"][1]["duration_ms"], 720_000);
    assert_eq!(show["segments"][2]["planned_offset_ms"], 840_000);
    let (_, agenda) = server.get("/api/agenda").await;
    assert_eq!(agenda["segments"][1]["title"], "Keynote, revised");

    // Insert, move, delete.
    let state = server
        .command(r#"{"cmd":"edit","op":"insert","at":3,"segment":{"title":"Closing","kind":"closing","duration":"3m"}}"#)
        .await;
    assert_eq!(state["segments"], 4);
    server
        .command(r#"{"cmd":"edit","op":"move","segment":3,"to":1}"#)
        .await;
    let (_, show) = server.get_as(Some(TOKEN), "/api/show").await;
    assert_eq!(
        titles(&show),
        ["Opening", "Closing", "Keynote, revised", "Q&A"]
    );
    assert_eq!(
        show["segments"][1]["warn_ms"], 120_000,
        "the built-in warning"
    );
    server
        .command(r#"{"cmd":"edit","op":"delete","segment":3}"#)
        .await;

    // The running segment: a longer duration moves its deadline from its start.
    let before = server.command(r#"{"cmd":"message","text":""}"#).await;
    let after = server
        .command(r#"{"cmd":"edit","op":"set","segment":0,"duration":"3m"}"#)
        .await;
    assert_eq!(
        after["ends_at_ms"].as_i64().unwrap() - before["ends_at_ms"].as_i64().unwrap(),
        60_000
    );

    // Undo over the socket, with the token.
    let mut moderator = server.ws().await;
    moderator.next_of("state").await;
    moderator.send_command(TOKEN, r#"{"cmd":"undo"}"#).await;
    moderator.next_of("applied").await;
    let undone = viewer
        .state_where(|s| s["segment"]["duration_ms"] == 120_000)
        .await;
    assert_eq!(undone["ends_at_ms"], before["ends_at_ms"]);

    // Refusals: malformed (400), not now (409, with the reason), no token (401).
    for (body, status, says) in [
        (
            r#"{"cmd":"edit","op":"paint","segment":1}"#,
            400,
            "bad command",
        ),
        (
            r#"{"cmd":"edit","op":"set","segment":1,"duration":"12"}"#,
            400,
            "not a length",
        ),
        (
            r#"{"cmd":"edit","op":"set","segment":1,"duration":"1.5s"}"#,
            400,
            "whole seconds",
        ),
        (
            r#"{"cmd":"edit","op":"set","segment":1,"colour":"red"}"#,
            400,
            "unknown field",
        ),
        (
            r#"{"cmd":"edit","op":"insert","at":1,"segment":{"title":"x"}}"#,
            400,
            "duration",
        ),
        (
            r#"{"cmd":"edit","op":"set","segment":1,"max":"1m"}"#,
            409,
            "max (1:00) is shorter",
        ),
        (
            r#"{"cmd":"edit","op":"insert","at":0,"segment":{"title":"x","duration":"1m"}}"#,
            409,
            "insert at 1 or later",
        ),
        (
            r#"{"cmd":"edit","op":"delete","segment":0}"#,
            409,
            "current segment",
        ),
        (
            r#"{"cmd":"edit","op":"set","segment":9,"title":"x"}"#,
            409,
            "no segment 9",
        ),
    ] {
        let (got, json) = server.command_as(Some(TOKEN), body).await;
        assert_eq!(got, status, "{body} → {json}");
        let error = json["error"].as_str().unwrap_or_default();
        assert!(error.contains(says), "{body} → {error}");
    }
    server.command(r#"{"cmd":"next"}"#).await;
    let (got, json) = server
        .command_as(
            Some(TOKEN),
            r#"{"cmd":"edit","op":"set","segment":0,"title":"x"}"#,
        )
        .await;
    assert_eq!(got, 409);
    assert!(
        json["error"]
            .as_str()
            .unwrap()
            .contains("past is not rewritten"),
        "{json}"
    );
    let (got, _) = server
        .command_as(None, r#"{"cmd":"edit","op":"set","segment":2,"title":"x"}"#)
        .await;
    assert_eq!(got, 401);
    let mut stranger = server.ws().await;
    stranger.next_of("state").await;
    stranger
        .send_command("not-the-token-at-all", r#"{"cmd":"undo"}"#)
        .await;
    assert_eq!(stranger.next_of("error").await["type"], "error");
}

/// Edits are journaled: after a `kill -9`, `--resume` rebuilds the edited run-of-show, and the
/// report shows the edited plan.
#[tokio::test]
async fn edits_survive_a_kill_and_the_report_shows_the_edited_plan() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.jsonl");
    let journal = path.to_str().unwrap();
    let first = Process::start(&["run", common::SHORT, "--journal", journal]).await;
    post_command(&first.base, r#"{"cmd":"start"}"#).await;
    for edit in [
        r#"{"cmd":"edit","op":"set","segment":2,"title":"Questions","duration":"7m"}"#,
        r#"{"cmd":"edit","op":"insert","at":1,"segment":{"title":"Coffee","kind":"break","duration":"4m","notes":"urn on"}}"#,
        r#"{"cmd":"edit","op":"set","segment":3,"speaker":""}"#,
        r#"{"cmd":"undo"}"#,
        r#"{"cmd":"edit","op":"move","segment":3,"to":1}"#,
    ] {
        post_command(&first.base, edit).await;
    }
    let (_, before) = first.get("/api/agenda").await;
    assert_eq!(
        titles(&before),
        ["Opening", "Questions", "Coffee", "Keynote"]
    );
    post_command(&first.base, r#"{"cmd":"next"}"#).await;
    let lines = std::fs::read_to_string(&path).unwrap();
    assert!(lines.contains(r#""op":"insert""#), "{lines}");
    let mut first = first;
    first.signal(nix::sys::signal::Signal::SIGKILL);
    first.child.wait().await.unwrap();

    let second = Process::start(&["run", common::SHORT, "--resume", journal]).await;
    let (_, after) = second.get("/api/agenda").await;
    assert_eq!(titles(&after), titles(&before));
    let (_, state) = second.get("/api/state").await;
    assert_eq!(
        (state["index"].as_i64(), state["segment"]["title"].as_str()),
        (Some(1), Some("Questions"))
    );
    assert_eq!(state["revision"], 5);
    assert_eq!(state["segments"], 4);
    // The undo stack was rebuilt too: the last edit moved "Questions", which now runs, so it
    // can no longer be undone (the past is not rewritten); the edit before it can be.
    let refused = reqwest::Client::new()
        .post(format!("{}/api/command", second.base))
        .bearer_auth(TOKEN)
        .body(r#"{"cmd":"undo"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 409);
    let why: Value = refused.json().await.unwrap();
    assert!(
        why["error"].as_str().unwrap().contains("cannot be undone"),
        "{why}"
    );
    post_command(
        &second.base,
        r#"{"cmd":"edit","op":"set","segment":3,"title":"Keynote (moved)"}"#,
    )
    .await;
    post_command(&second.base, r#"{"cmd":"undo"}"#).await;
    let mut second = second;
    second.terminate().await;

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_podium"))
        .args(["report", journal, "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = report["rows"].as_array().unwrap();
    let planned: Vec<(&str, i64)> = rows
        .iter()
        .map(|r| {
            (
                r["title"].as_str().unwrap(),
                r["planned_ms"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        planned,
        [
            ("Opening", 120_000),
            ("Questions", 420_000),
            ("Coffee", 240_000),
            ("Keynote", 600_000)
        ]
    );
    // The time spoken stays with the segment that spoke it, wherever edits moved it.
    assert!(rows[0]["actual_ms"].as_i64().unwrap() > 0);
    assert!(rows[1]["actual_ms"].is_i64(), "Questions ran: {}", rows[1]);
    assert!(
        rows[2]["actual_ms"].is_null(),
        "Coffee never ran: {}",
        rows[2]
    );
}

/// A copy of a seed session in a temporary directory (the tests write to it).
fn seed_copy(name: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("a directory");
    let path = dir.path().join(name);
    std::fs::copy(format!("sessions/{name}"), &path).expect("copied");
    (dir, path)
}

async fn post_as(base: &str, path: &str, body: &str) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .bearer_auth(TOKEN)
        .body(body.to_owned())
        .send()
        .await
        .expect("sent");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn file_view(base: &str) -> Value {
    let resp = reqwest::Client::new()
        .get(format!("{base}/api/file"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status().as_u16(), 200);
    resp.json().await.expect("JSON")
}

/// Polls `GET /api/file` until `pred` holds (generous: the watcher waits for quiet first).
async fn file_view_where(base: &str, pred: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    for _ in 0..200 {
        last = file_view(base).await;
        if pred(&last) {
            return last;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the file view never matched: {last}");
}

/// "Save to file" writes the edited run-of-show into the session file, comments kept, and loads
/// back to the edited show; once the organiser changed the file on disk, a save is refused and
/// the file is left as they wrote it.
#[tokio::test]
async fn save_to_file_keeps_comments_and_refuses_a_file_changed_on_disk() {
    let (_dir, path) = seed_copy("002_iml_session_four.toml");
    let file = path.to_str().unwrap();
    let before = std::fs::read_to_string(&path).unwrap();
    let proc = Process::start(&["run", file]).await;
    let (status, view) = post_as(&proc.base, "/api/file/save", "").await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        before,
        "nothing edited, nothing changed"
    );
    post_command(&proc.base, r#"{"cmd":"edit","op":"set","segment":1,"title":"ILO standards (revised)","duration":"18m"}"#).await;
    post_command(&proc.base, r#"{"cmd":"edit","op":"insert","at":2,"segment":{"title":"Stretch","kind":"break","duration":"3m"}}"#).await;
    let (status, view) = post_as(&proc.base, "/api/file/save", "").await;
    assert_eq!(status, 200, "{view}");
    let after = std::fs::read_to_string(&path).unwrap();
    for comment in before.lines().filter(|l| l.starts_with('#')) {
        assert!(after.contains(comment), "lost {comment:?}");
    }
    assert!(
        after.contains("title = \"ILO standards (revised)\""),
        "{after}"
    );
    let back = podium::show::load_file(&path).expect("loads back");
    let titles: Vec<&str> = back.segments.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(
        &titles[..3],
        ["Introduction", "ILO standards (revised)", "Stretch"]
    );
    assert_eq!(back.segments[1].duration.as_secs(), 18 * 60);
    // Its own save is no change on disk: nothing is offered.
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    assert_eq!(file_view(&proc.base).await["offer"], Value::Null);

    // The organiser edits the file: the change is offered, and a save no longer overwrites it.
    let by_hand = after.replace("title = \"Stretch\"", "title = \"Stretch (by hand)\"");
    std::fs::write(&path, &by_hand).unwrap();
    file_view_where(&proc.base, |v| v["offer"].is_object()).await;
    let (status, why) = post_as(&proc.base, "/api/file/save", "").await;
    assert_eq!(status, 409);
    assert!(
        why["error"].as_str().unwrap().contains("changed on disk"),
        "{why}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), by_hand);
}

/// The file is the other editor: an organiser's valid edit is offered for the segments not yet
/// started and applied as one journaled edit; an invalid one is refused with FILE:LINE:COL and
/// the show goes on unchanged; a deleted file is said; `--write-back` saves each edit, and its
/// own writes offer nothing.
#[tokio::test]
async fn the_session_file_edited_on_disk_is_offered_and_applied() {
    let (_dir, path) = seed_copy("002_iml_session_four.toml");
    let file = path.to_str().unwrap();
    let proc = Process::start(&["run", file, "--write-back"]).await;
    post_command(&proc.base, r#"{"cmd":"start"}"#).await;
    post_command(
        &proc.base,
        r#"{"cmd":"edit","op":"set","segment":2,"speaker":"Ana Ruiz"}"#,
    )
    .await;
    // Saved by the watcher task right after the edit is published.
    let mut written = String::new();
    for _ in 0..200 {
        written = std::fs::read_to_string(&path).unwrap();
        if written.contains("speaker = \"Ana Ruiz\"") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        written.contains("speaker = \"Ana Ruiz\""),
        "--write-back saved it:\n{written}"
    );
    assert!(
        written.contains("Guiding Principles on Access \\\nto Labour Markets"),
        "the layout kept"
    );
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    assert_eq!(
        file_view(&proc.base).await["offer"],
        Value::Null,
        "its own write offers nothing"
    );

    // Invalid: refused with FILE:LINE:COL, the show unchanged.
    let broken = written.replacen("duration = \"20m\"", "duration = 20", 1);
    assert_ne!(broken, written);
    std::fs::write(&path, &broken).unwrap();
    let view = file_view_where(&proc.base, |v| v["problem"].is_string()).await;
    let problem = view["problem"].as_str().unwrap();
    let line = broken.lines().position(|l| l == "duration = 20").unwrap() + 1;
    assert!(
        problem.contains(&format!("002_iml_session_four.toml:{line}:12")),
        "{problem}"
    );
    let (_, state) = proc.get("/api/state").await;
    assert_eq!(state["revision"], 1);

    // Valid: the next segment renamed and a segment added at the end, offered, applied.
    let edited = written.replacen(
        "title = \"ILO standards\"",
        "title = \"ILO standards, by the organiser\"",
        1,
    ) + "\n# Added by the organiser during the show.\n[[segment]]\ntitle = \"Thanks\"\nduration = \"2m\"\n";
    std::fs::write(&path, &edited).unwrap();
    let view = file_view_where(&proc.base, |v| v["offer"].is_object()).await;
    assert_eq!(view["problem"], Value::Null);
    assert_eq!(view["offer"]["from"], 1);
    let summary = view["offer"]["summary"].to_string();
    assert!(
        summary.contains("ILO standards, by the organiser") && summary.contains("Thanks"),
        "{summary}"
    );
    let body = serde_json::json!({"hash": view["offer"]["hash"]}).to_string();
    let (status, state) = post_as(&proc.base, "/api/file/apply", &body).await;
    assert_eq!(status, 200, "{state}");
    assert_eq!(state["next"]["title"], "ILO standards, by the organiser");
    assert_eq!(state["segments"], 7);
    assert_eq!(
        state["segment"]["title"], "Introduction",
        "the running segment untouched"
    );
    assert_eq!(file_view(&proc.base).await["offer"], Value::Null);
    // Journaled as one edit.
    let journal = proc.journal_dir.as_ref().unwrap().path().join("run.jsonl");
    assert!(
        std::fs::read_to_string(journal)
            .unwrap()
            .contains(r#""op":"upcoming""#)
    );
    // The file is as the organiser left it (write-back rewrote nothing of theirs).
    assert_eq!(std::fs::read_to_string(&path).unwrap(), edited);

    // Deleted: said, and the show goes on.
    std::fs::remove_file(&path).unwrap();
    let view = file_view_where(&proc.base, |v| v["problem"].is_string()).await;
    assert!(
        view["problem"].as_str().unwrap().contains("cannot read"),
        "{view}"
    );
    post_command(&proc.base, r#"{"cmd":"next"}"#).await;
    let (status, _) = post_as(&proc.base, "/api/file/dismiss", "").await;
    assert_eq!(status, 200);
}

async fn click(browser: &common::browser::Browser, css: &str) {
    browser
        .client
        .find(fantoccini::Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} is on the page: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("{css} is clickable: {e}"));
}

/// Issue 14 in Chromium, on a phone-sized screen: the control page edits an upcoming segment
/// (a real click on its ✎, the form, Save), undoes it, adds a segment, saves the run-of-show to
/// its file, and offers the file's own changes in a banner that applies them. Screenshots in
/// `target/screenshots/control-edit-*.png`.
#[tokio::test]
async fn the_control_page_edits_the_run_of_show() {
    use common::browser::{Browser, Scratch, browser_available};
    if !browser_available() {
        return;
    }
    let scratch = Scratch::new("control-edit");
    let session = scratch.join("002_iml_session_four.toml");
    std::fs::copy("sessions/002_iml_session_four.toml", &session).expect("copied");
    let journal = scratch.join("run.jsonl");
    let server = Process::start(&["run", &session, "--journal", &journal]).await;
    server.command(r#"{"cmd":"start"}"#).await;
    let browser = Browser::start(&scratch).await;
    browser.viewport((390, 844)).await;
    browser
        .goto(&format!("{}/control#token={TOKEN}", server.base))
        .await;
    browser
        .wait_true(
            "the run of show with edit buttons",
            "return document.querySelectorAll('#show-rows button[data-edit]').length === 6",
        )
        .await;
    // Segment 0 runs: it is editable (its duration counts from its start); nothing before it.
    click(&browser, "button[data-edit='2']").await;
    browser
        .wait_true(
            "the edit form",
            "return !document.getElementById('edit-form').hidden",
        )
        .await;
    let filled: Value = browser
        .eval(
            "return ['edit-title','edit-duration','edit-max','edit-warn']
               .map((id) => document.getElementById(id).value)",
        )
        .await;
    assert_eq!(
        filled,
        serde_json::json!([
            "Trade Unions and their engagement in protecting the rights of migrant workers",
            "15m",
            "20m",
            "2m"
        ])
    );
    browser
        .eval::<Value>(
            "document.getElementById('edit-title').value = 'Trade unions (shortened)';
             document.getElementById('edit-duration').value = '12';
             document.getElementById('edit-title').scrollIntoView({block: 'start'});
             return null",
        )
        .await;
    browser.capture("control-edit-form-390x844.png", 390).await;
    let wide: f64 = browser
        .eval("return document.documentElement.scrollWidth")
        .await;
    let culprits: Value = browser
        .eval(
            "return [...document.querySelectorAll('body *')]
               .filter((e) => e.getBoundingClientRect().right > 391)
               .slice(0, 8).map((e) => `${e.tagName}#${e.id}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)",
        )
        .await;
    assert!(
        wide <= 390.0,
        "the page fits the phone: {wide} px: {culprits}"
    );
    click(&browser, "#edit-save").await;
    browser
        .wait_true(
            "the edited row",
            "return [...document.querySelectorAll('#show-rows tr')][2]?.textContent.includes('Trade unions (shortened)')",
        )
        .await;
    let (_, agenda) = server.get("/api/agenda").await;
    assert_eq!(agenda["segments"][2]["title"], "Trade unions (shortened)");
    assert_eq!(
        agenda["segments"][2]["duration_ms"], 720_000,
        "a bare 12 is minutes"
    );
    assert!(
        browser
            .eval::<bool>("return document.getElementById('edit-form').hidden")
            .await
    );

    // Undo, then add a segment at the end.
    click(&browser, "#edit-undo").await;
    browser
        .wait_true(
            "the undone row",
            "return [...document.querySelectorAll('#show-rows tr')][2]?.textContent.includes('Trade Unions and their')",
        )
        .await;
    click(&browser, "#edit-add").await;
    browser
        .eval::<Value>(
            "document.getElementById('edit-title').value = 'Thanks and goodbye';
             document.getElementById('edit-kind').value = 'closing';
             document.getElementById('edit-duration').value = '2m';
             return null",
        )
        .await;
    click(&browser, "#edit-save").await;
    browser
        .wait_true(
            "the new row",
            "return document.querySelectorAll('#show-rows tr').length === 7",
        )
        .await;
    // A refused edit is said in the form: the running segment cannot move.
    click(&browser, "button[data-edit='0']").await;
    let hidden: Value = browser
        .eval("return ['edit-up','edit-down','edit-delete'].map((id) => document.getElementById(id).hidden)")
        .await;
    assert_eq!(hidden, serde_json::json!([true, true, true]));
    browser
        .eval::<Value>("document.getElementById('edit-max').value = '1m'; return null")
        .await;
    click(&browser, "#edit-save").await;
    browser
        .wait_true(
            "the refusal in the form",
            "return document.getElementById('edit-feedback').textContent.includes('max (1:00)')",
        )
        .await;
    click(&browser, "#edit-cancel").await;

    // Save to file: comments kept, the new segment there.
    browser
        .wait_true(
            "the Save button",
            "return !document.getElementById('file-save').hidden",
        )
        .await;
    click(&browser, "#file-save").await;
    browser
        .wait_true(
            "the saved note",
            "return document.getElementById('feedback').textContent.startsWith('Saved to')",
        )
        .await;
    let saved = std::fs::read_to_string(&session).expect("readable");
    assert!(
        saved.contains("title = \"Thanks and goodbye\"\nkind = \"closing\"\nduration = \"2m\""),
        "{saved}"
    );
    assert!(saved.starts_with("# International Migration Law (IML)"));

    // The organiser edits the file: a banner offers it; Apply takes it.
    std::fs::write(
        &session,
        saved.replace("Thanks and goodbye", "Thanks, and see you in June"),
    )
    .expect("written");
    browser
        .wait_true(
            "the file's banner",
            "return !document.getElementById('file-alert').hidden",
        )
        .await;
    browser
        .eval::<Value>("window.scrollTo(0, 0); return null")
        .await;
    browser
        .capture("control-edit-file-banner-390x844.png", 390)
        .await;
    click(&browser, "#file-apply").await;
    browser
        .wait_true(
            "the applied change",
            "return document.getElementById('file-alert').hidden && [...document.querySelectorAll('#show-rows tr')][6]?.textContent.includes('see you in June')",
        )
        .await;
    browser.viewport((1280, 900)).await;
    click(&browser, "button[data-edit='3']").await;
    browser
        .eval::<Value>(
            "document.getElementById('show-section').scrollIntoView({block: 'start'}); return null",
        )
        .await;
    browser.capture("control-edit-desktop-1280.png", 1280).await;
    browser.close().await;
}

/// The moderator's terminal (tmux, 80×24): the organiser's edit of the session file is offered
/// with what it changes and the keys; `a` applies it; an invalid edit is said with
/// FILE:LINE:COL and `d` puts it away, the show unchanged.
#[tokio::test]
async fn the_terminal_offers_the_files_changes() {
    use common::tmux::Tmux;
    let session = std::fs::read_to_string(common::SHORT).expect("the short show");
    let tmux = Tmux::start(80, 24, |dir| {
        let file = dir.join("show.toml");
        std::fs::write(&file, &session).expect("written");
        format!(
            "exec {} run {} --bind 127.0.0.1:0 --token {TOKEN} --no-notify --journal {}",
            env!("CARGO_BIN_EXE_podium"),
            file.display(),
            dir.join("run.jsonl").display()
        )
    });
    let base = tmux.base_url();
    post_command(&base, r#"{"cmd":"start"}"#).await;
    let file = tmux.path("show.toml");
    std::fs::write(
        &file,
        session.replace("\"Keynote\"", "\"Keynote (moved up)\""),
    )
    .unwrap();
    let prompt = tmux.wait_for("Session file changed");
    assert!(prompt.width() <= 80, "{prompt}");
    let change = tmux.wait_for("segment 2 (\"Keynote\")");
    assert!(change.contains("title \"Keynote (moved up)\""), "{change}");
    tmux.keys(&["a"]);
    tmux.wait_for("changes were applied");
    let state: Value = reqwest::get(format!("{base}/api/state"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(state["next"]["title"], "Keynote (moved up)");

    std::fs::write(&file, "[[segment]]\ntitle = \"Opening\"\nduration = 2\n").unwrap();
    let problem = tmux.wait_for("show.toml:3:12");
    assert!(problem.contains("the show goes on unchanged"), "{problem}");
    tmux.keys(&["d"]);
    tmux.wait_for("were dismissed");
    let after: Value = reqwest::get(format!("{base}/api/state"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (after["segments"].as_i64(), after["revision"].as_i64()),
        (Some(3), Some(1))
    );
}

/// `--write-back`, then a crash: `--resume` against the file the run rewrote carries on with the
/// same edited run-of-show (notes kept), and keeps writing back into it. (It was refused: "the
/// show file changed since this journal was written".)
#[tokio::test]
async fn a_run_that_wrote_back_its_file_resumes_against_it() {
    let (dir, path) = seed_copy("002_iml_session_four.toml");
    let file = path.to_str().unwrap();
    let journal = dir.path().join("run.jsonl");
    let journal = journal.to_str().unwrap();
    let first = Process::start(&["run", file, "--write-back", "--journal", journal]).await;
    post_command(&first.base, r#"{"cmd":"start"}"#).await;
    for edit in [
        r#"{"cmd":"edit","op":"insert","at":2,"segment":{"title":"Stretch","kind":"break","duration":"3m"}}"#,
        r#"{"cmd":"edit","op":"move","segment":4,"to":3}"#,
        r#"{"cmd":"edit","op":"set","segment":5,"title":"Q&A, shorter","duration":"20m"}"#,
    ] {
        post_command(&first.base, edit).await;
    }
    let mut written = String::new();
    for _ in 0..200 {
        written = std::fs::read_to_string(&path).unwrap();
        if written.contains("Q&A, shorter") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(written.contains("Q&A, shorter"), "{written}");
    let (_, before) = first.get("/api/agenda").await;
    let mut first = first;
    first.signal(nix::sys::signal::Signal::SIGKILL);
    first.child.wait().await.unwrap();

    let second = Process::start(&["run", file, "--write-back", "--resume", journal]).await;
    let (_, after) = second.get("/api/agenda").await;
    assert_eq!(titles(&after), titles(&before));
    let show: Value = reqwest::Client::new()
        .get(format!("{}/api/show", second.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        show["segments"][1]["notes"]
            .as_str()
            .unwrap_or_default()
            .contains("ILO mandate"),
        "the notes come back from the file: {}",
        show["segments"][1]
    );
    post_command(
        &second.base,
        r#"{"cmd":"edit","op":"set","segment":2,"title":"Stretch, longer","duration":"5m"}"#,
    )
    .await;
    for _ in 0..200 {
        written = std::fs::read_to_string(&path).unwrap();
        if written.contains("Stretch, longer") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let back = podium::show::load_file(&path).expect("loads");
    let file_titles: Vec<&str> = back.segments.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(file_titles[2], "Stretch, longer", "{written}");
    assert_eq!(file_titles.len(), 7);
    assert!(written.starts_with("# International Migration Law (IML)"));
}

mod props {
    //! Property tests of edits through the engine's public API, with explicit instants: whatever
    //! edits (and undos) arrive, the past stays as it was.

    use std::collections::BTreeMap;
    use std::path::Path;
    use std::time::Duration;

    use podium::engine::{Changes, Command, Edit, Engine, Record, ShowTime};
    use podium::show::{self, Show};
    use proptest::prelude::*;

    fn show_of(minutes: &[u32]) -> Show {
        let mut toml = String::from("title = \"Props\"\ntimezone = \"UTC\"\nwarn = \"30s\"\n");
        for (i, m) in minutes.iter().enumerate() {
            toml.push_str(&format!(
                "[[segment]]\ntitle = \"S{i}\"\nduration = \"{m}m\"\n"
            ));
        }
        show::load_str(Path::new("props.toml"), &toml).expect("a generated show loads")
    }

    /// An edit or an undo, picked from small numbers (indices may be out of range: refused).
    fn command(op: u8, a: usize, b: usize, m: u64) -> Command {
        let segment = a;
        match op {
            0 => Command::Edit(Edit::Set {
                segment,
                changes: Changes {
                    title: Some(format!("Edited {a}{b}")),
                    speaker: Some(Some("Someone".into())),
                    ..Changes::default()
                },
            }),
            1 => Command::Edit(Edit::Set {
                segment,
                changes: Changes {
                    duration: Some(Duration::from_secs(m * 60)),
                    max: Some(None),
                    min: Some(None),
                    warn: Some(Duration::from_secs(10)),
                    ..Changes::default()
                },
            }),
            2 => {
                let mut seg = show_of(&[1]).segments[0].clone();
                seg.title = format!("New {b}");
                seg.duration = Duration::from_secs(m * 60);
                seg.warn = Duration::from_secs(10);
                Command::Edit(Edit::Insert {
                    at: b,
                    segment: Box::new(seg),
                })
            }
            3 => Command::Edit(Edit::Delete { segment }),
            4 => Command::Edit(Edit::Move { segment, to: b }),
            5 => Command::Undo,
            _ => Command::Next,
        }
    }

    /// The started segments' records, by their stable numbers.
    fn past(engine: &Engine) -> BTreeMap<u32, Record> {
        engine
            .segment_ids()
            .iter()
            .zip(engine.records())
            .filter(|(_, r)| r.started.is_some())
            .map(|(id, r)| (*id, *r))
            .collect()
    }

    proptest! {
        /// Edits never rewrite the past: what started keeps its record and its title, the
        /// current segment stays current, and its deadline moves only by a duration edit of it.
        #[test]
        fn edits_never_rewrite_the_past(
            minutes in prop::collection::vec(1u32..=30, 1..7),
            steps in prop::collection::vec((0u8..7, 0usize..9, 0usize..9, 1u64..40, 0i64..120_000), 1..40),
        ) {
            let show = show_of(&minutes);
            let mut engine = Engine::new(&show);
            engine.apply(Command::Start, ShowTime(0)).expect("starts");
            let mut now = 0;
            for (op, a, b, m, gap) in steps {
                now += gap;
                let at = ShowTime(now);
                engine.tick(at);
                let before = engine.clone();
                let cmd = command(op, a, b, m);
                let applied = engine.apply(cmd.clone(), at).is_ok();
                if !applied || matches!(cmd, Command::Next) {
                    continue;
                }
                // What had started: same records; their titles as they were, unless edited while
                // current (allowed), so compare only segments no longer current.
                let (was, is) = (past(&before), past(&engine));
                prop_assert_eq!(&was, &is, "{:?} at {} rewrote a record", cmd, now);
                let current = before.segment_ids()[before.index()];
                prop_assert_eq!(engine.segment_ids()[engine.index()], current, "{:?} changed the current segment", cmd);
                for (i, id) in before.segment_ids().iter().enumerate() {
                    if i < before.index() {
                        let j = engine.segment_ids().iter().position(|x| x == id);
                        prop_assert_eq!(j, Some(i), "{:?} moved a segment before the current one", cmd);
                        prop_assert_eq!(&engine.show().segments[i], &before.show().segments[i]);
                    }
                }
                let retimed = matches!(&cmd, Command::Edit(Edit::Set { segment, changes }) if *segment == before.index() && changes.duration.is_some())
                    || matches!(cmd, Command::Undo);
                if !retimed {
                    prop_assert_eq!(engine.snapshot(at).deadline, before.snapshot(at).deadline, "{:?} moved the deadline", cmd);
                }
                prop_assert_eq!(engine.show().segments.len(), engine.records().len());
            }
        }
    }
}

/// OSC out follows an edit at once: the segment's new title goes to the desk (it kept sending
/// the title as loaded).
#[tokio::test]
async fn osc_out_sends_the_edited_title() {
    use rosc::{OscPacket, OscType};
    let desk = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let target = desk.local_addr().unwrap().to_string();
    let server = Process::start(&["run", common::SHORT, "--osc-send", &target]).await;
    let mut buf = vec![0u8; 2048];
    let mut wait_for = async |title: &str| {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let (n, _) = tokio::time::timeout_at(deadline, desk.recv_from(&mut buf))
                .await
                .unwrap_or_else(|_| panic!("no /podium/segment {title:?} within 30 s"))
                .expect("recv");
            let (_, packet) = rosc::decoder::decode_udp(&buf[..n]).expect("OSC");
            if let OscPacket::Message(m) = packet
                && m.addr == "/podium/segment"
                && m.args.get(1) == Some(&OscType::String(title.into()))
            {
                return;
            }
        }
    };
    wait_for("Opening").await;
    server
        .command(r#"{"cmd":"edit","op":"set","segment":0,"title":"Welcome"}"#)
        .await;
    wait_for("Welcome").await;
}

/// The public agenda page follows an edit at once (it refetched only when the segment or the
/// phase changed).
#[tokio::test]
async fn the_agenda_page_follows_an_edit() {
    use common::browser::{Browser, Scratch, browser_available};
    if !browser_available() {
        return;
    }
    let scratch = Scratch::new("agenda-edit");
    let journal = scratch.join("run.jsonl");
    let server = Process::start(&["run", common::SHORT, "--journal", &journal]).await;
    server.command(r#"{"cmd":"start"}"#).await;
    let browser = Browser::start(&scratch).await;
    browser.goto(&format!("{}/agenda", server.base)).await;
    browser
        .wait_true(
            "the agenda",
            "return document.body.textContent.includes('Keynote')",
        )
        .await;
    server
        .command(r#"{"cmd":"edit","op":"set","segment":1,"title":"Keynote, retitled live"}"#)
        .await;
    browser
        .wait_true(
            "the edited title on the agenda",
            "return document.body.textContent.includes('Keynote, retitled live')",
        )
        .await;
    browser.close().await;
}
