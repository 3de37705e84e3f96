//! Signals and vanished output for a headless `podium run` (the real binary): a hangup never ends
//! the show, a closed stdout never panics it, escape sequences in a show never reach the output.

use crate::common;

use std::time::Duration;

use common::{Process, TOKEN};
use nix::sys::signal::Signal;

/// Issue 10: SIGHUP (a closed terminal, a dropped SSH session) killed podium at once. It goes on
/// headless and says so in its log; SIGTERM still ends it cleanly.
#[tokio::test]
async fn sighup_leaves_the_show_running() {
    let mut proc = Process::start(&["run", common::SHORT, "--speed", "10"]).await;
    proc.command(r#"{"cmd":"start"}"#).await;
    proc.signal(Signal::SIGHUP);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        proc.child.try_wait().expect("status readable").is_none(),
        "podium died of SIGHUP"
    );
    let state = proc.command(r#"{"cmd":"next"}"#).await;
    assert_eq!(state["index"], 1, "{state}");
    let (status, _) = proc.get("/api/state").await;
    assert_eq!(status, 200);
    let exit = proc.terminate().await;
    assert!(exit.success(), "{exit:?}");
    let stderr = stderr_of(&mut proc).await;
    assert!(stderr.contains("hung up"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// Issue 10: a `podium run` whose stdout pipe has gone (`podium run … | head -3`) panicked on its
/// next print. It must go on serving, leave its journal open, and end cleanly on SIGTERM.
#[tokio::test]
async fn a_closed_stdout_never_stops_the_show() {
    let proc = Process::start(&["run", common::SHORT, "--speed", "10"]).await;
    let Process {
        mut child,
        base,
        stdout,
        journal_dir,
    } = proc;
    drop(stdout);
    let http = reqwest::Client::new();
    let command = async |body: &str| {
        let resp = http
            .post(format!("{base}/api/command"))
            .bearer_auth(TOKEN)
            .body(body.to_owned())
            .send()
            .await
            .expect("podium answers");
        assert_eq!(resp.status().as_u16(), 200, "{body}");
    };
    command(r#"{"cmd":"start"}"#).await;
    command(r#"{"cmd":"next"}"#).await;
    command(r#"{"cmd":"pause"}"#).await;
    let journal_dir = journal_dir.expect("a journal directory");
    let journal = journal_dir.path().join("run.jsonl");
    let text = std::fs::read_to_string(&journal).expect("journal readable");
    assert!(
        !text.contains("\"end\""),
        "the journal ended early:\n{text}"
    );

    let pid = nix::unistd::Pid::from_raw(child.id().expect("running") as i32);
    nix::sys::signal::kill(pid, Signal::SIGTERM).expect("SIGTERM sent");
    let exit = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("podium exits within 10 s of SIGTERM")
        .expect("exit status");
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        use tokio::io::AsyncReadExt;
        let _ = pipe.read_to_string(&mut stderr).await;
    }
    assert!(exit.success(), "{exit:?}\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// Issue 10: titles and speakers with escape sequences were printed raw. Headless, with stdout and
/// stderr piped, podium writes no colour of its own: not one ESC byte may appear.
#[tokio::test]
async fn escape_sequences_in_a_show_are_not_printed() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let session = dir.path().join("hostile.toml");
    std::fs::write(
        &session,
        "title = \"Show \\u001b]52;c;cHduZWQ=\\u0007\\u001b[2J\"\ntimezone = \"UTC\"\n\n\
         [[segment]]\ntitle = \"Opening \\u001b]2;pwned\\u0007talk\"\n\
         speaker = \"Chair \\u001b[31mred\\u009b0m\"\nduration = \"2m\"\nwarn = \"1m\"\n",
    )
    .expect("session written");
    let session = session.display().to_string();
    let mut proc = Process::start(&["run", &session, "--speed", "60"]).await;
    proc.command(r#"{"cmd":"start"}"#).await;
    // Warning after 1 s, time up after 2 s: two alerts in the log.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let exit = proc.terminate().await;
    assert!(exit.success(), "{exit:?}");
    let mut stdout = String::new();
    while let Ok(Some(line)) = proc.stdout.next_line().await {
        stdout.push_str(&line);
        stdout.push('\n');
    }
    let stderr = stderr_of(&mut proc).await;
    assert!(stderr.contains("Chair"), "no alert was logged: {stderr}");
    assert!(stdout.contains("Opening"), "no report: {stdout}");
    for (name, text) in [("stdout", &stdout), ("stderr", &stderr)] {
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{9b}') && !text.contains('\u{7}'),
            "a control character reached {name}: {text:?}"
        );
    }
}

async fn stderr_of(proc: &mut Process) -> String {
    use tokio::io::AsyncReadExt;
    let mut text = String::new();
    if let Some(mut pipe) = proc.child.stderr.take() {
        let _ = pipe.read_to_string(&mut text).await;
    }
    text
}
