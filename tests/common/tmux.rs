//! A real terminal for tests: a private tmux server (its own socket) with one pane of a given
//! size running a shell script, read back with `capture-pane`. Used by the moderator-terminal
//! tests and the full-disk test.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// A private tmux server (its own socket) running one window; killed on drop.
pub struct Tmux {
    socket: String,
    dir: tempfile::TempDir,
}

impl Tmux {
    /// Starts `sh -c SCRIPT` in a detached window of `width`×`height`; `script` is made from the
    /// test's own temporary directory.
    pub fn start(width: u16, height: u16, script: impl FnOnce(&Path) -> String) -> Tmux {
        let dir = tempfile::tempdir().expect("temporary directory");
        let script = script(dir.path());
        let socket = format!(
            "podium-test-{}-{}",
            std::process::id(),
            dir.path().file_name().unwrap().to_string_lossy()
        );
        // Set before anything runs: a deep scrollback, and escape sequences that tmux obeys when
        // they reach it (OSC 52 makes a paste buffer, OSC 2 retitles the pane).
        let config = dir.path().join("tmux.conf");
        std::fs::write(
            &config,
            "set -g history-limit 5000\nset -g set-clipboard on\nset -g allow-rename on\n",
        )
        .expect("tmux.conf written");
        let config = config.display().to_string();
        let tmux = Tmux { socket, dir };
        let (w, h) = (width.to_string(), height.to_string());
        tmux.run(&[
            "-f",
            &config,
            "new-session",
            "-d",
            "-s",
            "show",
            "-x",
            &w,
            "-y",
            &h,
            "sh",
            "-c",
            &script,
        ]);
        tmux
    }

    pub fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs (Debian package `tmux`; .ci/run installs it)");
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The visible screen, one string per row, wrapped rows joined (`-J`).
    pub fn screen(&self) -> Vec<String> {
        lines(&self.run(&["capture-pane", "-p", "-J", "-t", "show"]))
    }

    /// The whole scrollback and screen, wrapped rows joined.
    pub fn history(&self) -> Vec<String> {
        lines(&self.run(&["capture-pane", "-p", "-J", "-S", "-", "-t", "show"]))
    }

    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "show"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    /// Waits (up to 30 s) for a screen row containing `text`; returns the row.
    pub fn wait_for(&self, text: &str) -> String {
        self.wait_until(text, |screen| {
            screen.iter().find(|r| r.contains(text)).cloned()
        })
        .0
    }

    /// Waits (up to 30 s) until `found` finds something on the screen; returns it and the screen.
    pub fn wait_until<T>(
        &self,
        what: &str,
        found: impl Fn(&[String]) -> Option<T>,
    ) -> (T, Vec<String>) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let screen = self.screen();
            if let Some(it) = found(&screen) {
                return (it, screen);
            }
            assert!(
                Instant::now() < deadline,
                "{what:?} never appeared:\n{}",
                screen.join("\n")
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The base URL podium printed (`speaker view: http://…/`).
    pub fn base_url(&self) -> String {
        let row = self.wait_for("speaker view: ");
        let url = row.split("speaker view: ").nth(1).expect("a URL");
        url.trim().trim_end_matches('/').to_owned()
    }

    /// The pid of the pane's first process (the `sh` running the script).
    pub fn pane_pid(&self) -> i32 {
        self.run(&["list-panes", "-t", "show", "-F", "#{pane_pid}"])
            .trim()
            .parse()
            .expect("a pid")
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        // Each pane is a session of its own (tmux setsid()s it): its process group outlives
        // kill-server, since a podium that loses its terminal goes on headless. End it too, or
        // every test would leave a show running.
        let panes = Command::new("tmux")
            .args(["-L", &self.socket, "list-panes", "-a", "-F", "#{pane_pid}"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
        for pid in panes.lines().filter_map(|l| l.trim().parse::<i32>().ok()) {
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
}

pub fn lines(text: &str) -> Vec<String> {
    let mut rows: Vec<String> = text.lines().map(|l| l.trim_end().to_owned()).collect();
    while rows.last().is_some_and(|r| r.is_empty()) {
        rows.pop();
    }
    rows
}
