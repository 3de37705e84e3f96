//! Desktop notifications for real: a private session bus (`dbus-daemon`), a minimal
//! `org.freedesktop.Notifications` served on it with zbus, and the real podium binary pointed at
//! it, driven through warning, overtime and over-max.

mod common;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use common::{Client, Process, SHORT};
use tokio::io::AsyncBufReadExt;
use tokio::sync::mpsc;
use zbus::OwnedVariant;

/// A private `dbus-daemon` with its own configuration; killed (and its socket removed) on drop.
struct Bus {
    daemon: tokio::process::Child,
    dir: PathBuf,
    address: String,
}

impl Bus {
    async fn start() -> Bus {
        let dir = std::env::temp_dir().join(format!("podium-dbus-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let config = dir.join("session.conf");
        std::fs::write(
            &config,
            format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
                dir.join("bus").display()
            ),
        )
        .unwrap();
        let mut daemon = tokio::process::Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--print-address"])
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("dbus-daemon runs (Debian package `dbus`; .ci/run installs it)");
        let mut lines = tokio::io::BufReader::new(daemon.stdout.take().unwrap()).lines();
        let address = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
            .await
            .expect("dbus-daemon prints its address")
            .unwrap()
            .expect("an address line");
        Bus {
            daemon,
            dir,
            address: address.trim().to_owned(),
        }
    }
}

impl Drop for Bus {
    fn drop(&mut self) {
        let _ = self.daemon.start_kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The smallest notification server: records every `Notify` call.
struct Notifications {
    received: mpsc::UnboundedSender<(String, String, String)>,
    next_id: u32,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl Notifications {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &mut self,
        app_name: String,
        _replaces_id: u32,
        _app_icon: String,
        summary: String,
        body: String,
        _actions: Vec<String>,
        _hints: HashMap<String, OwnedVariant>,
        _expire_timeout: i32,
    ) -> u32 {
        let _ = self.received.send((app_name, summary, body));
        self.next_id += 1;
        self.next_id
    }

    fn get_capabilities(&self) -> Vec<String> {
        vec!["body".to_owned()]
    }

    fn get_server_information(&self) -> (String, String, String, String) {
        (
            "podium-test".into(),
            "podium".into(),
            "1".into(),
            "1.2".into(),
        )
    }

    fn close_notification(&self, _id: u32) {}
}

#[tokio::test]
async fn warning_overtime_and_over_max_reach_the_desktop() {
    let bus = Bus::start().await;
    let (tx, mut received) = mpsc::unbounded_channel();
    let _server = zbus::connection::Builder::address(bus.address.as_str())
        .name("org.freedesktop.Notifications")
        .serve_at(
            "/org/freedesktop/Notifications",
            Notifications {
                received: tx,
                next_id: 0,
            },
        )
        .build()
        .await
        .expect("the test notification server is on the bus");

    let proc = Process::spawn(
        &["run", SHORT, "--speed", "60"],
        &[("DBUS_SESSION_BUS_ADDRESS", bus.address.as_str())],
    )
    .await;
    let mut viewer = Client::connect(&proc.ws_url()).await;
    proc.command(r#"{"cmd":"start"}"#).await;
    viewer.state_where(|s| s["phase"] == "over-max").await;

    let mut got = Vec::new();
    while got.len() < 3 {
        let n = tokio::time::timeout(Duration::from_secs(10), received.recv())
            .await
            .expect("three notifications within 10 s")
            .expect("server alive");
        got.push(n);
    }
    let body = "1. Opening — Chair\nTest show";
    assert_eq!(
        got,
        [
            ("podium".to_owned(), "1:00 left".to_owned(), body.to_owned()),
            (
                "podium".to_owned(),
                "Time is up".to_owned(),
                body.to_owned()
            ),
            (
                "podium".to_owned(),
                "Past the 3:00 hard limit".to_owned(),
                body.to_owned()
            ),
        ]
    );
}
