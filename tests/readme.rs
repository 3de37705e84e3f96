//! The README's first code block, run as a newcomer runs it: its first command literally, through
//! `sh -c` from the repository's root (issue 10: it failed with "could not determine which binary to
//! run" and nothing noticed). The command builds in release mode, so it waits generously; CI builds
//! the release binary beforehand (`.ci/run`), which makes it quick. `cargo test` holds the lock of
//! `target/debug` only, so the nested release build does not wait for it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;

/// A cold release build on a loaded two-core machine can take many minutes.
const BUILD_AND_START: Duration = Duration::from_secs(15 * 60);

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The commands of the README's first ```sh block (comments and blank lines left out).
fn first_sh_block() -> Vec<String> {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md readable");
    let mut lines = readme.lines().skip_while(|l| l.trim() != "```sh").skip(1);
    let block: Vec<String> = lines
        .by_ref()
        .take_while(|l| l.trim() != "```")
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    assert!(
        !block.is_empty(),
        "README.md has a ```sh block with commands"
    );
    block
}

#[test]
fn the_first_block_is_run_then_test() {
    let block = first_sh_block();
    assert_eq!(block.len(), 2, "exactly two commands: {block:?}");
    assert!(
        block[0].starts_with("cargo run --release -- run sessions/"),
        "{block:?}"
    );
    assert_eq!(block[1], "cargo test");
}

/// Issue 10: the examples call `podium …` and nothing said where that comes from.
/// Every heading of the README (outside code) is said once: two helpers once each added the
/// same "Messages, presets and starting on time" section, 30 lines twice.
#[test]
fn no_readme_section_is_written_twice() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md readable");
    let mut in_code = false;
    let mut seen = std::collections::HashSet::new();
    for line in readme.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        } else if !in_code && line.starts_with('#') {
            assert!(seen.insert(line), "the README has {line:?} twice");
        }
    }
}

#[test]
fn the_readme_says_how_to_get_podium_before_calling_it() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md readable");
    let mut in_code = false;
    let mut first_call = None;
    let mut offset = 0;
    for line in readme.split_inclusive('\n') {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        } else if in_code && line.trim_start().starts_with("podium ") {
            first_call = Some(offset);
            break;
        }
        offset += line.len();
    }
    let first_call = first_call.expect("the README shows `podium …` commands");
    let told = ["cargo install --path .", "target/release/podium"]
        .iter()
        .all(|how| readme[..first_call].contains(how));
    assert!(
        told,
        "before its first `podium …` example the README says how to get `podium`"
    );
}

/// Kills what is left of the command (its process group) however the test ends.
struct Group(Child);

impl Drop for Group {
    fn drop(&mut self) {
        let _ = killpg(Pid::from_raw(self.0.id() as i32), Signal::SIGKILL);
        let _ = self.0.wait();
    }
}

/// Collects a stream's lines in a thread: into `all`, and each one to `tx`.
fn collect(
    stream: impl Read + Send + 'static,
    all: Arc<Mutex<String>>,
    tx: Option<mpsc::Sender<String>>,
) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if let Ok(mut all) = all.lock() {
                all.push_str(&line);
                all.push('\n');
            }
            if let Some(tx) = &tx {
                let _ = tx.send(line);
            }
        }
    });
}

/// The direct children of `parent` (from /proc).
fn children_of(parent: u32) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| {
                    // "pid (comm) state ppid …": comm may hold spaces, so split after its ')'.
                    let rest = &stat[stat.rfind(')')? + 1..];
                    rest.split_whitespace().nth(1)?.parse::<u32>().ok()
                })
                == Some(parent)
        })
        .collect()
}

/// GET `url` (plain http://host:port/path) over a raw socket: status line and body.
fn http_get(url: &str) -> (String, String) {
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let mut stream = TcpStream::connect(host).expect("the speaker URL accepts a connection");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("a whole response");
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    (
        head.lines().next().unwrap_or_default().to_owned(),
        body.to_owned(),
    )
}

#[test]
fn the_first_command_runs_the_show_as_written() {
    let command = first_sh_block().remove(0);
    assert!(
        std::net::TcpListener::bind("127.0.0.1:8080").is_ok(),
        "the README's command listens on 127.0.0.1:8080, which something else holds: free it"
    );
    let mut child = Command::new("sh");
    // A newcomer's shell, not cargo test's: cargo gives a test process CARGO_MANIFEST_DIR,
    // CARGO_PKG_* and the like, and build scripts (ring's) rerun when those change, so the
    // README's `cargo run --release` would rebuild the release binary .ci/run built (minutes).
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(set_by_cargo_for_tests) {
            child.env_remove(&name);
        }
    }
    child
        .arg("-c")
        .arg(&command)
        .current_dir(root())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    std::os::unix::process::CommandExt::process_group(&mut child, 0);
    let mut group = Group(child.spawn().expect("sh runs"));
    let (out, err) = (Arc::default(), Arc::<Mutex<String>>::default());
    let (tx, lines) = mpsc::channel();
    collect(group.0.stdout.take().unwrap(), Arc::clone(&out), Some(tx));
    collect(group.0.stderr.take().unwrap(), Arc::clone(&err), None);
    let said = |out: &Arc<Mutex<String>>, err: &Arc<Mutex<String>>| {
        format!(
            "stdout:\n{}\nstderr (last lines):\n{}",
            out.lock().unwrap(),
            err.lock()
                .unwrap()
                .lines()
                .rev()
                .take(30)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("\n")
        )
    };

    let deadline = Instant::now() + BUILD_AND_START;
    let mut journal: Option<PathBuf> = None;
    let url = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => {
                if let Some(path) = line.strip_prefix("journal:") {
                    journal = Some(root().join(path.trim()));
                }
                if let Some(url) = line.strip_prefix("speaker view:") {
                    break url.trim().to_owned();
                }
            }
            Err(_) => panic!(
                "`{command}` printed no speaker URL within {BUILD_AND_START:?} (or ended): {}",
                said(&out, &err)
            ),
        }
    };
    // Not part of the show: keep runs/ as it was.
    struct Remove(Option<PathBuf>);
    impl Drop for Remove {
        fn drop(&mut self) {
            if let Some(p) = &self.0 {
                let _ = std::fs::remove_file(p);
            }
        }
    }
    let _journal = Remove(journal);

    let (status, body) = http_get(&url);
    assert!(status.contains(" 200 "), "{status}");
    assert!(body.contains("<html"), "the speaker page: {body}");

    // `cargo run` replaced itself with podium (exec), so podium is the shell's child. The shell
    // (dash) does not survive a SIGTERM of its own while it waits, so the signal goes to podium,
    // and the shell's status is podium's.
    let podium: Vec<u32> = children_of(group.0.id())
        .into_iter()
        .filter(|pid| {
            std::fs::read_link(format!("/proc/{pid}/exe"))
                .is_ok_and(|exe| exe.file_name().is_some_and(|n| n == "podium"))
        })
        .collect();
    let [pid] = podium[..] else {
        panic!(
            "one podium process under the shell, found {podium:?}: {}",
            said(&out, &err)
        )
    };
    kill(Pid::from_raw(pid as i32), Signal::SIGTERM).expect("podium is signalled");
    let stopped = Instant::now();
    let status = loop {
        if let Some(status) = group.0.try_wait().expect("wait for sh") {
            break status;
        }
        assert!(
            stopped.elapsed() < Duration::from_secs(60),
            "podium did not exit after SIGTERM: {}",
            said(&out, &err)
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    // The output threads see the end of the pipes once every writer has gone.
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(status.code(), Some(0), "{}", said(&out, &err));
    assert!(
        out.lock().unwrap().contains("podium: stopped"),
        "{}",
        said(&out, &err)
    );
}

/// Whether cargo sets `name` for the test process (so a newcomer's shell does not have it).
fn set_by_cargo_for_tests(name: &str) -> bool {
    name == "OUT_DIR"
        || name == "CARGO_MANIFEST_DIR"
        || name == "CARGO_MANIFEST_PATH"
        || name == "CARGO_MANIFEST_LINKS"
        || name == "CARGO_CRATE_NAME"
        || name == "CARGO_PRIMARY_PACKAGE"
        || name == "CARGO_TARGET_TMPDIR"
        || name.starts_with("CARGO_PKG_")
        || name.starts_with("CARGO_BIN_")
}
