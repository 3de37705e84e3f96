//! Journal lines to and from JetStream (issue 13): the primary's [`Replica`] appends each line of
//! a room's journal to `podium.<event>.<room>.journal` in the stream `PODIUM_JOURNAL` (file
//! storage) with an acknowledged publish, and the controller waits for that acknowledgement
//! (at most [`ACK_WAIT`]) before it publishes the state the line causes; a standby's [`Mirror`]
//! writes the lines it receives to a local file, byte for byte the primary's journal, which it
//! replays with the code `--resume` uses.
//!
//! Each message is one journal line, its text as the journal file holds it, numbered by the
//! header `Podium-Line` (the show header is line 0) and deduplicated by JetStream through
//! `Nats-Msg-Id` (`<run>-<line>`), so a line sent again after a lost acknowledgement is stored
//! once, and a follower ignores a number it already has.
//!
//! **Invariant:** as for a full disk, NATS being unreachable never stops the show: the lines wait
//! in memory, in order (at most [`MAX_QUEUED`]), are sent when NATS is back, and the moderator is
//! told (`JournalNotice::Unreplicated`, then `Replicated`); meanwhile no change waits for them.

use std::collections::VecDeque;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_nats::jetstream::{self, stream};
use tokio::sync::{Notify, broadcast, watch};
use tokio::time::Instant;

use super::subjects;
use crate::journal::JournalNotice;

/// How long a change waits for JetStream to acknowledge its lines before it is published anyway
/// (NATS unreachable: then the lines wait and later changes do not wait at all).
pub const ACK_WAIT: Duration = Duration::from_millis(500);

/// How long one publish may take before it is tried again.
const SEND_WAIT: Duration = Duration::from_secs(2);

/// Between tries while NATS is unreachable.
const RETRY_EVERY: Duration = Duration::from_millis(250);

/// Lines kept while NATS is unreachable, as many as the journal keeps for a full disk.
pub const MAX_QUEUED: usize = crate::journal::MAX_PENDING;

/// Opens (creating if need be) the stream of journal lines: file storage, every room's subject.
pub async fn stream(js: &jetstream::Context) -> Result<stream::Stream, super::NatsError> {
    js.get_or_create_stream(stream::Config {
        name: subjects::JOURNAL_STREAM.to_owned(),
        subjects: vec![subjects::journal_wildcard()],
        storage: stream::StorageType::File,
        ..Default::default()
    })
    .await
    .map_err(|e| super::NatsError::JetStream(format!("stream {}: {e}", subjects::JOURNAL_STREAM)))
}

/// Removes what the stream holds of a room's journal: a fresh run replaces the last one.
pub async fn purge(stream: &stream::Stream, subject: &str) -> Result<(), super::NatsError> {
    stream
        .purge()
        .filter(subject)
        .await
        .map(|_| ())
        .map_err(|e| super::NatsError::JetStream(format!("purge {subject}: {e}")))
}

/// The number of the last line of `subject` in the stream, if any.
pub async fn last_line(
    stream: &stream::Stream,
    subject: &str,
) -> Result<Option<u64>, super::NatsError> {
    match stream.get_last_raw_message_by_subject(subject).await {
        Ok(message) => Ok(line_number(&message.headers)),
        Err(e) if e.kind() == stream::LastRawMessageErrorKind::NoMessageFound => Ok(None),
        Err(e) => Err(super::NatsError::JetStream(format!(
            "last line of {subject}: {e}"
        ))),
    }
}

/// The `Podium-Line` header.
pub fn line_number(headers: &async_nats::HeaderMap) -> Option<u64> {
    headers
        .get(subjects::HEADER_LINE)
        .and_then(|v| v.as_str().parse().ok())
}

#[derive(Debug)]
struct Shared {
    /// Lines not yet acknowledged, with their numbers, oldest first.
    queue: Mutex<VecDeque<(u64, String)>>,
    wake: Notify,
    failing: AtomicBool,
    dropped: AtomicUsize,
    closed: AtomicBool,
}

/// A room's journal going to JetStream, line by line, in order.
#[derive(Debug)]
pub struct Replica {
    shared: Arc<Shared>,
    /// How many lines (by number) are acknowledged: every line below this one.
    acked: watch::Receiver<u64>,
    /// The number the next line pushed gets.
    next: u64,
    task: tokio::task::JoinHandle<()>,
}

impl Replica {
    /// Starts sending to `subject` the lines pushed from now on, numbered from `next` (the lines
    /// before are in the stream already); `run` names this sender in the deduplication ids
    /// (`<run>-<line>`, unique in the stream);
    /// trouble and recovery go to `notices`.
    pub fn start(
        client: async_nats::Client,
        subject: String,
        run: String,
        next: u64,
        notices: broadcast::Sender<JournalNotice>,
    ) -> Replica {
        let shared = Arc::new(Shared {
            queue: Mutex::new(VecDeque::new()),
            wake: Notify::new(),
            failing: AtomicBool::new(false),
            dropped: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
        });
        let (acked_tx, acked) = watch::channel(next);
        let task = tokio::spawn(send(
            client,
            subject,
            run,
            shared.clone(),
            acked_tx,
            notices,
        ));
        Replica {
            shared,
            acked,
            next,
            task,
        }
    }

    /// Queues one journal line (its text without the newline); dropped and counted past
    /// [`MAX_QUEUED`].
    pub fn push(&mut self, text: &str) {
        let mut queue = self.shared.queue.lock().unwrap_or_else(|p| p.into_inner());
        if queue.len() >= MAX_QUEUED {
            self.shared.dropped.fetch_add(1, Ordering::Relaxed);
        } else {
            queue.push_back((self.next, text.to_owned()));
        }
        self.next += 1;
        drop(queue);
        self.shared.wake.notify_one();
    }

    /// Resolves when every line pushed so far is acknowledged, or after [`ACK_WAIT`], or at once
    /// while NATS is unreachable (the show goes on; the lines follow later).
    pub fn settled(&self) -> impl Future<Output = ()> + Send + 'static + use<> {
        let mut acked = self.acked.clone();
        let target = self.next;
        let failing = self.shared.failing.load(Ordering::Relaxed);
        async move {
            if failing {
                return;
            }
            let _ = tokio::time::timeout(ACK_WAIT, acked.wait_for(|a| *a >= target)).await;
        }
    }

    /// Lines not yet acknowledged.
    pub fn pending(&self) -> usize {
        self.shared
            .queue
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len()
    }

    /// Stops sending at once, whatever waits (a primary that lost its lease must not append).
    pub fn stop(self) {
        self.task.abort();
    }
}

impl Drop for Replica {
    /// At shutdown what waits is still sent, while the process lives (the run's last lines).
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::Relaxed);
        self.shared.wake.notify_one();
    }
}

async fn send(
    client: async_nats::Client,
    subject: String,
    run: String,
    shared: Arc<Shared>,
    acked: watch::Sender<u64>,
    notices: broadcast::Sender<JournalNotice>,
) {
    let js = jetstream::new(client.clone());
    // Since when lines wait, when the moderator was last told, and how many were sent since.
    let mut told: Option<Instant> = None;
    loop {
        let front = shared
            .queue
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .front()
            .cloned();
        let Some((number, text)) = front else {
            if shared.closed.load(Ordering::Relaxed) {
                return;
            }
            shared.wake.notified().await;
            continue;
        };
        let sent = if client.connection_state() == async_nats::connection::State::Connected {
            let mut headers = async_nats::HeaderMap::new();
            headers.insert(
                async_nats::header::NATS_MESSAGE_ID,
                format!("{run}-{number}").as_str(),
            );
            headers.insert(subjects::HEADER_LINE, number.to_string().as_str());
            let publish = async {
                js.publish_with_headers(subject.clone(), headers, text.into_bytes().into())
                    .await?
                    .await
            };
            match tokio::time::timeout(SEND_WAIT, publish).await {
                Ok(Ok(_)) => Ok(()),
                Ok(Err(e)) => Err(e.to_string()),
                Err(_) => Err(format!("no acknowledgement within {SEND_WAIT:?}")),
            }
        } else {
            Err("not connected to NATS".to_owned())
        };
        match sent {
            Ok(()) => {
                let waiting = {
                    let mut queue = shared.queue.lock().unwrap_or_else(|p| p.into_inner());
                    queue.pop_front();
                    queue.len()
                };
                acked.send_replace(number + 1);
                if told.is_some() && waiting == 0 {
                    told = None;
                    shared.failing.store(false, Ordering::Relaxed);
                    let _ = notices.send(JournalNotice::Replicated {
                        subject: subject.clone(),
                    });
                }
            }
            Err(error) => {
                shared.failing.store(true, Ordering::Relaxed);
                if told.is_none_or(|t| t.elapsed() >= crate::controller::JOURNAL_ALERT_EVERY) {
                    told = Some(Instant::now());
                    let pending = shared.queue.lock().unwrap_or_else(|p| p.into_inner()).len();
                    let _ = notices.send(JournalNotice::Unreplicated {
                        subject: subject.clone(),
                        pending,
                        dropped: shared.dropped.load(Ordering::Relaxed),
                        error,
                    });
                }
                if shared.closed.load(Ordering::Relaxed) {
                    return;
                }
                tokio::time::sleep(RETRY_EVERY).await;
            }
        }
    }
}

/// A standby's copy of one room's journal: the lines received, in order, in a local file that
/// is exactly the primary's journal (so `journal::read` and `Recorded::replay` take it as is).
pub struct Mirror {
    path: PathBuf,
    file: Option<File>,
    /// The number of the next line expected.
    next: u64,
    /// The last line taken is the run's `end` (its primary ended it).
    ended: bool,
}

/// What a line received did to a [`Mirror`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mirrored {
    /// A show header: a new run (the file starts again).
    Header,
    /// A line after the header; `command` when it changes what a replay gives.
    Line { command: bool },
    /// A line already there (sent twice), or one before any header: ignored.
    Ignored,
}

impl Mirror {
    /// A mirror written to `path` (created, or replaced when a new run's header arrives).
    pub fn new(path: &Path) -> Mirror {
        Mirror {
            path: path.to_owned(),
            file: None,
            next: 0,
            ended: false,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many lines the file holds, header included.
    pub fn lines(&self) -> u64 {
        self.next
    }

    /// Whether the run's header has arrived.
    pub fn started(&self) -> bool {
        self.file.is_some()
    }

    /// Whether the run's last line so far is its `end` (as [`crate::journal::Recorded::finished`]
    /// would say of the file, without reading it).
    pub fn ended(&self) -> bool {
        self.ended
    }

    /// Takes line `number` of the journal. A gap (lines the primary had to drop) is written
    /// through with a warning: what follows is still the run.
    pub fn accept(&mut self, number: u64, text: &str) -> std::io::Result<Mirrored> {
        if number == 0 {
            if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)?;
            }
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .open(&self.path)?;
            restrict(&file);
            writeln!(file, "{text}")?;
            self.file = Some(file);
            self.next = 1;
            self.ended = false;
            return Ok(Mirrored::Header);
        }
        let Some(file) = self.file.as_mut() else {
            return Ok(Mirrored::Ignored);
        };
        if number < self.next {
            return Ok(Mirrored::Ignored);
        }
        if number > self.next {
            tracing::warn!(
                "{}: lines {} to {} of the primary's journal never reached NATS",
                self.path.display(),
                self.next,
                number - 1
            );
        }
        writeln!(file, "{text}")?;
        self.next = number + 1;
        // A line's type is its first key (journal::Line is tagged by `type`).
        self.ended = text.starts_with(r#"{"type":"end""#);
        Ok(Mirrored::Line {
            command: text.contains("\"type\":\"command\""),
        })
    }

    /// Forces the file to disk (before it is replayed to take over).
    pub fn sync(&self) -> std::io::Result<()> {
        match &self.file {
            Some(file) => file.sync_data(),
            None => Ok(()),
        }
    }
}

/// The journal holds the moderator token: readable by its owner only, like the primary's.
fn restrict(file: &File) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = file.set_permissions(std::fs::Permissions::from_mode(0o600));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mirror_keeps_lines_once_in_order_and_restarts_on_a_header() {
        let dir = tempfile::tempdir().expect("a directory");
        let path = dir.path().join("m.jsonl");
        let mut m = Mirror::new(&path);
        assert_eq!(m.accept(3, "early").expect("ok"), Mirrored::Ignored);
        assert_eq!(m.accept(0, "h").expect("ok"), Mirrored::Header);
        let cmd = r#"{"type":"command","at_ms":1}"#;
        assert_eq!(
            m.accept(1, cmd).expect("ok"),
            Mirrored::Line { command: true }
        );
        assert_eq!(m.accept(1, cmd).expect("ok"), Mirrored::Ignored);
        assert_eq!(
            m.accept(2, r#"{"type":"event"}"#).expect("ok"),
            Mirrored::Line { command: false }
        );
        assert_eq!(m.lines(), 3);
        let text = std::fs::read_to_string(&path).expect("written");
        assert_eq!(text, format!("h\n{cmd}\n{{\"type\":\"event\"}}\n"));
        assert_eq!(m.accept(0, "h2").expect("ok"), Mirrored::Header);
        assert_eq!(std::fs::read_to_string(&path).expect("written"), "h2\n");
    }
}
