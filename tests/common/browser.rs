//! Headless Chromium for the tests (through chromedriver and fantoccini): finding the browser,
//! a chromedriver per test (on loopback, or inside a network namespace), a scratch directory, and
//! a `Browser` with polling helpers and screenshots.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver`. Without them [`browser_available`] says
//! "skipping: chromium not installed" — unless `CI` is set, where it fails instead.

use std::net::{Ipv4Addr, SocketAddrV4, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use serde_json::json;

/// A network namespace that chromedriver (and so its Chromium) runs in: `inner` is the
/// namespace's address, `outer` the test's side of the link.
pub struct Netns {
    pub name: String,
    pub inner: Ipv4Addr,
    pub outer: Ipv4Addr,
}

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const SHOW: &str = "tests/sessions/short.toml";

/// How long any awaited page condition may take (a loaded 2-core machine included).
pub const DEADLINE: Duration = Duration::from_secs(10);
/// How often a page condition is checked.
pub const POLL: Duration = Duration::from_millis(50);

// ---- Environment -------------------------------------------------------------------------------

/// True when running under continuous integration (`CI` set to anything but empty/0/false).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false"))
}

/// Whether Chromium and chromedriver are installed. Missing ones fail the test under CI;
/// elsewhere the test is skipped with a message.
pub fn browser_available() -> bool {
    let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER]
        .into_iter()
        .filter(|path| !Path::new(path).exists())
        .collect();
    if missing.is_empty() {
        return true;
    }
    assert!(
        !in_ci(),
        "CI is set but {} is missing: install chromium and its chromedriver",
        missing.join(" and ")
    );
    eprintln!(
        "skipping: chromium not installed ({} missing)",
        missing.join(", ")
    );
    false
}

pub fn screenshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots")
}

/// A port that was free a moment ago (chromedriver binds it next; see `Driver::start`).
pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .expect("an ephemeral loopback port is available")
        .port()
}

// ---- chromedriver and the browser ----------------------------------------------------------------

/// A chromedriver child process in a process group of its own; on drop it is stopped and any
/// Chromium left in its group is killed.
pub struct Driver {
    child: Child,
    /// Where chromedriver listens.
    pub addr: SocketAddrV4,
}

impl Driver {
    /// Starts chromedriver on a free loopback port and waits until it accepts connections.
    /// Retries with another port if the chosen one was taken in between.
    pub fn start() -> Driver {
        Driver::start_in(None)
    }

    /// Starts chromedriver, inside network namespace `netns.name` when given (then it listens on
    /// the namespace's `netns.inner` address and admits `netns.outer`, the test's side of the
    /// link), so that its Chromium's traffic takes the namespace's route.
    pub fn start_in(netns: Option<&Netns>) -> Driver {
        for _ in 0..3 {
            let port = free_port();
            let mut command = match netns {
                None => Command::new(CHROMEDRIVER),
                Some(ns) => {
                    let mut c = Command::new("ip");
                    c.args(["netns", "exec", &ns.name, CHROMEDRIVER])
                        .arg(format!("--allowed-ips={}", ns.outer))
                        .arg("--allowed-origins=*");
                    c
                }
            };
            let host = netns.map_or(Ipv4Addr::LOCALHOST, |ns| ns.inner);
            let addr = SocketAddrV4::new(host, port);
            let mut child = command
                .arg(format!("--port={port}"))
                .process_group(0)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("chromedriver starts");
            let deadline = Instant::now() + DEADLINE;
            loop {
                if TcpStream::connect_timeout(&addr.into(), Duration::from_secs(1)).is_ok() {
                    return Driver { child, addr };
                }
                if let Some(status) = child.try_wait().expect("chromedriver's status is readable") {
                    eprintln!("chromedriver on port {port} exited ({status}); trying another port");
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "chromedriver did not listen on port {port} within {DEADLINE:?}"
                );
                std::thread::sleep(POLL);
            }
        }
        panic!("chromedriver failed to start three times");
    }
}

impl Drop for Driver {
    /// SIGTERM, then SIGKILL if chromedriver lingers; then SIGKILL to whatever is left in its
    /// process group (a Chromium whose session was not ended: chromedriver does not take it down).
    fn drop(&mut self) {
        use nix::sys::signal::{Signal, kill, killpg};
        use nix::unistd::Pid;
        let pid = Pid::from_raw(self.child.id() as i32);
        let _ = kill(pid, Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(5);
        while !matches!(self.child.try_wait(), Ok(Some(_))) {
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break;
            }
            std::thread::sleep(POLL);
        }
        let _ = killpg(pid, Signal::SIGKILL); // ESRCH when the group is already empty
    }
}

/// A directory of our own for one test (Chromium profile, journal); removed on drop, so it must
/// outlive the browser and the server: declare it first.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(test: &str) -> Scratch {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!(
            "podium-browser-{test}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).expect("the temp dir is writable for a scratch directory");
        Scratch(dir)
    }

    /// A path inside the directory, as a string for a command line.
    pub fn join(&self, name: &str) -> String {
        self.0.join(name).to_string_lossy().into_owned()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A headless Chromium session. Call `close` at the end of a test. If a test panics first, drop
/// ends the session through chromedriver (the async client cannot, as the runtime is going away);
/// then the driver drops.
pub struct Browser {
    pub client: Client,
    session: String,
    closed: bool,
    driver: Driver,
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.closed {
            let _ = delete_session(self.driver.addr, &self.session);
        }
    }
}

/// `DELETE /session/<id>` to chromedriver, blocking until it answers: it quits that session's
/// Chromium first. (chromedriver keeps the connection open, so the answer is read by length.)
fn delete_session(addr: SocketAddrV4, session: &str) -> std::io::Result<()> {
    use std::io::{BufRead, BufReader, Read, Write};
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "DELETE /session/{session} HTTP/1.1\r\nHost: {addr}\r\n\
         Content-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    let mut reader = BufReader::new(stream);
    let mut length = 0;
    let mut line = String::new();
    while reader.read_line(&mut line)? > 2 {
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
        line.clear();
    }
    reader.read_exact(&mut vec![0; length])
}

impl Browser {
    /// Opens Chromium with a fresh profile in `scratch`.
    pub async fn start(scratch: &Scratch) -> Browser {
        Browser::start_with(scratch, Driver::start()).await
    }

    /// Opens Chromium through `driver` (e.g. one in a network namespace).
    pub async fn start_with(scratch: &Scratch, driver: Driver) -> Browser {
        Browser::start_with_args(scratch, driver, &[]).await
    }

    /// Opens Chromium through `driver` with `extra` command-line switches (e.g. a Blink feature
    /// turned off, to test a page's fallback).
    pub async fn start_with_args(scratch: &Scratch, driver: Driver, extra: &[&str]) -> Browser {
        let mut args: Vec<String> = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--window-size=1920,1080",
        ]
        .into_iter()
        .chain(extra.iter().copied())
        .map(str::to_owned)
        .collect();
        args.push(format!(
            "--user-data-dir={}",
            scratch.join("chromium-profile")
        ));
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": args,
            },
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object literal")
        };
        let client = ClientBuilder::native()
            .capabilities(capabilities)
            .connect(&format!("http://{}", driver.addr))
            .await
            .expect("chromedriver opens a headless Chromium session");
        let session = client
            .session_id()
            .await
            .expect("the session id is known")
            .expect("a session was created");
        Browser {
            client,
            session,
            closed: false,
            driver,
        }
    }

    /// chromedriver's URL for this session (`http://HOST:PORT/session/ID`), for raw commands.
    pub fn session_url(&self) -> String {
        format!("http://{}/session/{}", self.driver.addr, self.session)
    }

    /// Runs a Chrome DevTools command in the current tab (chromedriver's CDP pass-through).
    pub async fn cdp(&self, cmd: &str, params: serde_json::Value) {
        let answer = reqwest::Client::new()
            .post(format!("{}/goog/cdp/execute", self.session_url()))
            .json(&serde_json::json!({ "cmd": cmd, "params": params }))
            .send()
            .await
            .unwrap_or_else(|e| panic!("chromedriver runs {cmd}: {e}"));
        assert!(answer.status().is_success(), "{cmd}: {}", answer.status());
    }

    /// Makes the viewport exactly `width`×`height` CSS pixels (a phone-sized one acts as mobile).
    pub async fn viewport(&self, (width, height): (u32, u32)) {
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            serde_json::json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600}),
        )
        .await;
    }

    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("Chromium loads {url}: {e}"));
    }

    /// Runs `script` (a function body) in the page and returns its JSON result.
    pub async fn eval<T: serde::de::DeserializeOwned>(&self, script: &str) -> T {
        let value = self
            .client
            .execute(script, Vec::new())
            .await
            .unwrap_or_else(|e| panic!("script runs in the page: {e}\n{script}"));
        serde_json::from_value(value.clone())
            .unwrap_or_else(|e| panic!("script result has the expected shape ({e}): {value}"))
    }

    /// Polls `script` (returning a boolean) until it is true; fails after `DEADLINE`.
    pub async fn wait_true(&self, what: &str, script: &str) {
        let deadline = Instant::now() + DEADLINE;
        while !self.eval::<bool>(script).await {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(POLL).await;
        }
    }

    /// Saves a PNG of the viewport as `target/screenshots/<name>`. The viewport is 1920 wide;
    /// new headless Chromium keeps room for window decorations, so it is ~937 (not 1080) high.
    pub async fn screenshot(&self, name: &str) {
        self.capture(name, 1920).await;
    }

    /// Saves a PNG of the viewport as `target/screenshots/<name>`, checking its width.
    pub async fn capture(&self, name: &str, width: u32) {
        let png = self
            .client
            .screenshot()
            .await
            .unwrap_or_else(|e| panic!("Chromium takes screenshot {name}: {e}"));
        assert!(png.len() > 24 && &png[1..4] == b"PNG", "{name} is a PNG");
        let got = u32::from_be_bytes(png[16..20].try_into().expect("4 bytes"));
        assert_eq!(got, width, "{name}: the viewport is {width} wide");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("target/screenshots can be created");
        std::fs::write(dir.join(name), png).expect("screenshot written");
    }

    /// Ends the session; chromedriver quits Chromium.
    pub async fn close(mut self) {
        self.closed = true;
        self.client
            .clone()
            .close()
            .await
            .expect("the Chromium session closes cleanly");
    }
}
