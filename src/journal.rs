//! The record of a run: an append-only JSON-lines file. The first line describes the show (path,
//! content hash, parsed segments, speed, rehearsal, token, clock origin); then one line per applied
//! command and per phase event, each with show time and wall-clock time. Replaying the commands
//! through a fresh engine rebuilds the state exactly, which is how a crashed run resumes.
//!
//! **Invariant:** a line is written and `sync_data`ed before the state it causes is published, so
//! nothing a viewer has seen can be lost by a crash — except while the disk refuses to write (a
//! full disk): the show goes on, the state is published, and the lines wait in memory, in order
//! (at most [`MAX_PENDING`]), until a write succeeds; the controller tells the moderator until
//! then. A failed write is cut back to the last whole line, so the file never holds a partial line
//! before a later one. With `--nats` each line also goes to JetStream for a standby
//! ([`crate::nats::journal::Replica`]), acknowledged before the state is published, or queued in
//! order while NATS is unreachable, the same way.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::engine::{Command, Edit, Engine, Event, ShowTime, Target};
use crate::protocol;
use crate::show::{Show, format_hms};

/// News about the journal for the moderator (terminal, desktop).
#[derive(Debug, Clone, PartialEq)]
pub enum JournalNotice {
    /// Writes fail; sent at once and again every `JOURNAL_ALERT_EVERY` (the controller's) while they do.
    Failing(protocol::JournalHealth),
    /// A write succeeded again: `caught_up` waiting lines are now on disk.
    Recovered { path: String, caught_up: usize },
    /// Lines cannot reach NATS (the standby's copy, `--nats`): they wait in memory, in order;
    /// sent at once and again every `JOURNAL_ALERT_EVERY` while they do.
    Unreplicated {
        subject: String,
        pending: usize,
        dropped: usize,
        error: String,
    },
    /// NATS took every waiting line.
    Replicated { subject: String },
}

/// Journal format version, in the header.
const VERSION: u32 = 1;

/// The largest show time a journal may hold (about 31 700 years of show time: beyond any run at
/// any speed, and far from overflowing the arithmetic on it).
const MAX_SHOW_MS: i64 = 1_000_000_000_000_000;
/// The longest a segment (or its warning, maximum, minimum) may be, as the session loader says.
const MAX_SEGMENT_MS: i64 = 24 * 3_600_000;
/// The speeds `--speed` accepts.
const SPEEDS: std::ops::RangeInclusive<f64> = 0.001..=100_000.0;
/// Unix ms up to the end of year 9999.
const MAX_UNIX_MS: f64 = 253_402_300_799_999.0;

/// Lines kept in memory while the disk refuses them. A show records a few lines a minute, so
/// this covers days of a full disk; past it, new lines are dropped and counted.
pub const MAX_PENDING: usize = 100_000;

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{path}:{line}: not a journal line ({why}); the journal is damaged before its last line"
    )]
    Corrupt {
        path: PathBuf,
        line: usize,
        why: String,
    },
    #[error(
        "{path}:{line}: {why}: the journal was edited or damaged; restore it, or start a new run \
         without --resume"
    )]
    Damaged {
        path: PathBuf,
        line: usize,
        why: String,
    },
    #[error("{path}: empty or without a show header: not a podium journal")]
    NoHeader { path: PathBuf },
    #[error(
        "{journal}: the show file changed since this journal was written, refusing to resume:\n  {}\n\
         restore the file as it was, or start a new run without --resume",
        differences.join("\n  ")
    )]
    ShowChanged {
        journal: PathBuf,
        differences: Vec<String>,
    },
    #[error(
        "no unfinished journal of {show} in {dir}{}: give the journal's path to --resume",
        if *never_started > 0 {
            format!(" (skipped {never_started} in which the show never started)")
        } else {
            String::new()
        }
    )]
    NothingToResume {
        show: PathBuf,
        dir: PathBuf,
        never_started: usize,
    },
}

impl JournalError {
    /// Whether the fix is in the user's input (a changed show, a damaged or missing journal)
    /// rather than the machine (I/O).
    pub fn is_input(&self) -> bool {
        !matches!(self, JournalError::Io { .. })
    }
}

/// A segment as the journal remembers it (enough to report and to tell what changed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentRecord {
    pub title: String,
    pub speaker: Option<String>,
    pub kind: String,
    pub duration_ms: i64,
    pub max_ms: Option<i64>,
    pub warn_ms: i64,
    /// How far `fit` may shorten it (absent in journals written before `min` existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_ms: Option<i64>,
    /// Absent in journals written before end actions existed: overtime.
    #[serde(default, skip_serializing_if = "crate::show::OnEnd::is_overtime")]
    pub on_end: crate::show::OnEnd,
}

/// The first line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub version: u32,
    pub path: String,
    pub hash: String,
    pub title: String,
    pub timezone: String,
    pub planned_start: Option<DateTime<Utc>>,
    pub segments: Vec<SegmentRecord>,
    pub speed: f64,
    pub rehearsal: bool,
    /// The moderator token, so a resumed run keeps it (the file is created mode 0600).
    pub token: String,
    /// Unix milliseconds at show time zero.
    pub unix_at_zero_ms: f64,
    pub created: DateTime<Utc>,
    /// When the show must end, as the engine was told (show ms), so that a replayed `fit`
    /// re-plans exactly as it did live: a fixed instant …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_end_at_ms: Option<i64>,
    /// … or the slot's length from the show's start (a rehearsal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_slot_ms: Option<i64>,
    /// The room of an event this journal records (none for a plain session).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room: Option<String>,
    /// The event's organiser token, so a resumed event keeps it (none for a plain session).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organiser_token: Option<String>,
}

/// Every line after the header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Line {
    Command {
        at_ms: i64,
        wall: DateTime<Utc>,
        cmd: serde_json::Value,
    },
    Event {
        at_ms: i64,
        wall: DateTime<Utc>,
        event: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        index: Option<usize>,
        #[serde(skip_serializing_if = "Option::is_none")]
        overrun_ms: Option<i64>,
    },
    /// The process restarted and carried on.
    Resume { at_ms: i64, wall: DateTime<Utc> },
    /// The run ended (last segment finished or the moderator quit).
    End { at_ms: i64, wall: DateTime<Utc> },
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum First {
    Show(Header),
}

impl Line {
    /// Why this line cannot be trusted in a journal of `segments` segments, if it cannot.
    fn check(&self, segments: usize) -> Result<(), String> {
        let at_ms = match self {
            Line::Command { at_ms, .. }
            | Line::Event { at_ms, .. }
            | Line::Resume { at_ms, .. }
            | Line::End { at_ms, .. } => *at_ms,
        };
        if !(0..=MAX_SHOW_MS).contains(&at_ms) {
            return Err(format!("at_ms {at_ms} is not a moment of a show"));
        }
        match self {
            Line::Command { cmd, .. } => {
                match protocol::parse_command(cmd.to_string().as_bytes()) {
                    Err(e) => Err(format!("not a command podium knows ({e})")),
                    Ok(Command::Goto(index)) if index >= segments => Err(format!(
                        "goes to segment {} of a show of {segments}",
                        index + 1
                    )),
                    Ok(_) => Ok(()),
                }
            }
            Line::Event {
                index, overrun_ms, ..
            } => {
                if let Some(index) = index.filter(|i| *i >= segments) {
                    return Err(format!(
                        "an event of segment {} in a show of {segments}",
                        index + 1
                    ));
                }
                match overrun_ms.filter(|ms| ms.unsigned_abs() > MAX_SHOW_MS as u64) {
                    Some(ms) => Err(format!("overrun_ms {ms} is beyond any show")),
                    None => Ok(()),
                }
            }
            Line::Resume { .. } | Line::End { .. } => Ok(()),
        }
    }

    /// How many segments this line's edit inserts, if it is one.
    fn inserts(&self) -> usize {
        let Line::Command { cmd, .. } = self else {
            return 0;
        };
        match protocol::parse_command(cmd.to_string().as_bytes()) {
            Ok(Command::Edit(Edit::Insert { .. })) => 1,
            Ok(Command::Edit(Edit::Upcoming { segments, .. })) => segments.len(),
            _ => 0,
        }
    }

    pub fn command(at: ShowTime, wall: DateTime<Utc>, cmd: &Command) -> Line {
        Line::Command {
            at_ms: at.0,
            wall,
            cmd: protocol::command_json(cmd),
        }
    }

    pub fn event(at: ShowTime, wall: DateTime<Utc>, event: &Event) -> Line {
        let (name, index, overrun_ms) = match event {
            Event::Started { index } => ("started", Some(*index), None),
            Event::Warning { index } => ("warning", Some(*index), None),
            Event::Overtime { index } => ("overtime", Some(*index), None),
            Event::OverMax { index } => ("over-max", Some(*index), None),
            Event::Stopped { index } => ("stopped", Some(*index), None),
            Event::Ended { index, overrun_ms } => ("ended", Some(*index), Some(*overrun_ms)),
            Event::Finished => ("finished", None, None),
            // What a fit changed follows from replaying its command.
            Event::Fitted { .. } => ("fitted", None, None),
            // Its commands are journaled before it, at its instant (the controller's `record`).
            Event::AutoStarted { index, .. } => ("auto-started", Some(*index), None),
            Event::StartOverdue { .. } => ("start-overdue", None, None),
        };
        Line::Event {
            at_ms: at.0,
            wall,
            event: name.to_owned(),
            index,
            overrun_ms,
        }
    }
}

/// Unix milliseconds as a UTC date-time.
pub fn wall(unix_ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(unix_ms)
        .single()
        .unwrap_or_default()
}

/// The SHA-256 of a show file's bytes, hex.
pub fn content_hash(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Header {
    pub fn new(
        show: &Show,
        hash: String,
        speed: f64,
        rehearsal: bool,
        token: &str,
        unix_at_zero_ms: f64,
    ) -> Header {
        Header {
            version: VERSION,
            path: show.path.display().to_string(),
            hash,
            title: show.title.clone(),
            timezone: show.timezone.name().to_owned(),
            planned_start: show.start,
            segments: segment_records(show),
            speed,
            rehearsal,
            token: token.to_owned(),
            unix_at_zero_ms,
            created: wall(unix_at_zero_ms as i64),
            target_end_at_ms: None,
            target_slot_ms: None,
            room: None,
            organiser_token: None,
        }
    }

    /// Marks the journal as room `id`'s of an event whose organiser token is `organiser`.
    pub fn in_room(mut self, id: &str, organiser: &str) -> Header {
        self.room = Some(id.to_owned());
        self.organiser_token = Some(organiser.to_owned());
        self
    }

    /// Records the engine's target (see [`Header::target`]).
    pub fn with_target(mut self, target: Option<Target>) -> Header {
        (self.target_end_at_ms, self.target_slot_ms) = match target {
            Some(Target::At(at)) => (Some(at.0), None),
            Some(Target::AfterStart(ms)) => (None, Some(ms)),
            None => (None, None),
        };
        self
    }

    /// The target the engine ran with.
    pub fn target(&self) -> Option<Target> {
        match (self.target_end_at_ms, self.target_slot_ms) {
            (Some(at), _) => Some(Target::At(ShowTime(at))),
            (None, Some(ms)) => Some(Target::AfterStart(ms)),
            (None, None) => None,
        }
    }

    /// Refuses when `show` (with file hash `hash`) is not the show this journal recorded.
    pub fn check_same_show(
        &self,
        journal: &Path,
        show: &Show,
        hash: &str,
    ) -> Result<(), JournalError> {
        if self.hash == hash {
            return Ok(());
        }
        let now = segment_records(show);
        let mut differences = Vec::new();
        if self.title != show.title {
            differences.push(format!("title: {:?} → {:?}", self.title, show.title));
        }
        if self.segments.len() != now.len() {
            differences.push(format!("segments: {} → {}", self.segments.len(), now.len()));
        }
        for (i, (was, is)) in self.segments.iter().zip(&now).enumerate() {
            let n = i + 1;
            if was.title != is.title {
                differences.push(format!(
                    "segment {n} title: {:?} → {:?}",
                    was.title, is.title
                ));
            }
            if was.speaker != is.speaker {
                differences.push(format!(
                    "segment {n} speaker: {:?} → {:?}",
                    was.speaker, is.speaker
                ));
            }
            let len = |ms: i64| format_hms(std::time::Duration::from_millis(ms.max(0) as u64));
            if was.duration_ms != is.duration_ms {
                differences.push(format!(
                    "segment {n} duration: {} → {}",
                    len(was.duration_ms),
                    len(is.duration_ms)
                ));
            }
            if was.max_ms != is.max_ms
                || was.min_ms != is.min_ms
                || was.warn_ms != is.warn_ms
                || was.kind != is.kind
                || was.on_end != is.on_end
            {
                differences.push(format!(
                    "segment {n} ({}): kind, max, min, warn or on_end changed",
                    is.title
                ));
            }
        }
        if differences.is_empty() {
            differences.push(
                "only comments, notes or formatting changed (the file's hash differs)".into(),
            );
        }
        Err(JournalError::ShowChanged {
            journal: journal.to_owned(),
            differences,
        })
    }
}

impl Header {
    /// Why this header cannot be trusted (hand-edited, damaged), if it cannot.
    fn check(&self) -> Result<(), String> {
        if !self.speed.is_finite() || !SPEEDS.contains(&self.speed) {
            return Err(format!(
                "speed {} is impossible (podium runs at 0.001 to 100000)",
                self.speed
            ));
        }
        if !self.unix_at_zero_ms.is_finite() || !(0.0..=MAX_UNIX_MS).contains(&self.unix_at_zero_ms)
        {
            return Err(format!(
                "unix_at_zero_ms {} is not an instant between 1970 and 9999",
                self.unix_at_zero_ms
            ));
        }
        let sane_date = |d: &DateTime<Utc>| (1..=9999).contains(&chrono::Datelike::year(d));
        if !sane_date(&self.created) || !self.planned_start.as_ref().is_none_or(sane_date) {
            return Err("a date outside the years 1 to 9999".into());
        }
        if self.segments.is_empty() {
            return Err("the show has no segments".into());
        }
        for (i, seg) in self.segments.iter().enumerate() {
            let n = i + 1;
            if !(1..=MAX_SEGMENT_MS).contains(&seg.duration_ms) {
                return Err(format!(
                    "segment {n} lasts {} ms (from 1 ms to 24 h)",
                    seg.duration_ms
                ));
            }
            for (what, ms) in [
                ("warn_ms", Some(seg.warn_ms)),
                ("max_ms", seg.max_ms),
                ("min_ms", seg.min_ms),
            ] {
                if let Some(ms) = ms.filter(|ms| !(0..=MAX_SEGMENT_MS).contains(ms)) {
                    return Err(format!("segment {n} has {what} {ms} (from 0 to 24 h)"));
                }
            }
        }
        for (what, ms) in [
            ("target_end_at_ms", self.target_end_at_ms),
            ("target_slot_ms", self.target_slot_ms),
        ] {
            if let Some(ms) = ms.filter(|ms| ms.unsigned_abs() > MAX_SHOW_MS as u64) {
                return Err(format!("{what} {ms} is beyond any show"));
            }
        }
        Ok(())
    }

    /// Refuses a token shorter than podium now requires: a resumed run keeps its token, so a
    /// guessable one (a hand-edited or old journal) would let anyone take over the show.
    pub fn check_token(&self, journal: &Path) -> Result<(), JournalError> {
        let chars = self.token.chars().count();
        if chars >= protocol::MIN_TOKEN_CHARS {
            return Ok(());
        }
        Err(JournalError::Damaged {
            path: journal.to_owned(),
            line: 1,
            why: format!(
                "its moderator token has {chars} characters, fewer than the {} a resumed run \
                 needs to be safe from guessing",
                protocol::MIN_TOKEN_CHARS
            ),
        })
    }

    /// The show as recorded, rebuilt for replay and reports.
    pub fn show(&self) -> Show {
        let d = |ms: i64| std::time::Duration::from_millis(ms.max(0) as u64);
        Show {
            path: PathBuf::from(&self.path),
            title: self.title.clone(),
            start: self.planned_start,
            timezone: crate::show::parse_zone(&self.timezone).unwrap_or(chrono_tz::UTC),
            end: None,
            segments: self
                .segments
                .iter()
                .map(|s| crate::show::Segment {
                    title: s.title.clone(),
                    speaker: s.speaker.clone(),
                    kind: serde_json::from_value(serde_json::Value::String(s.kind.clone()))
                        .unwrap_or(crate::show::Kind::Other),
                    duration: d(s.duration_ms),
                    max: s.max_ms.map(d),
                    min: s.min_ms.map(d),
                    at: None,
                    warn: d(s.warn_ms),
                    notes: None,
                    on_end: s.on_end,
                    auto_start: false,
                })
                .collect(),
            // Messages are journaled with their text, so replay needs no presets.
            messages: Default::default(),
            auto_start: false,
            language: None,
            speaker_page: Default::default(),
        }
    }
}

fn segment_records(show: &Show) -> Vec<SegmentRecord> {
    let ms = |d: std::time::Duration| d.as_millis() as i64;
    show.segments
        .iter()
        .map(|s| SegmentRecord {
            title: s.title.clone(),
            speaker: s.speaker.clone(),
            kind: s.kind.as_str().to_owned(),
            duration_ms: ms(s.duration),
            max_ms: s.max.map(ms),
            warn_ms: ms(s.warn),
            min_ms: s.min.map(ms),
            on_end: s.on_end,
        })
        .collect()
}

/// An open journal, appended to line by line. Lines that could not be written wait in `pending`
/// and go first at the next write.
#[derive(Debug)]
pub struct Journal {
    file: File,
    path: PathBuf,
    /// Length of the file up to its last whole, synced line.
    good_len: u64,
    /// Serialized lines (each ending in a newline) not yet on disk, oldest first.
    pending: std::collections::VecDeque<String>,
    /// Lines given up because `pending` was full.
    dropped: usize,
    /// A write failed since the file was last known to end at `good_len`.
    dirty: bool,
    /// Where each line also goes, with `--nats`: JetStream, for a standby.
    replica: Option<crate::nats::journal::Replica>,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> JournalError + '_ {
    move |source| JournalError::Io {
        path: path.to_owned(),
        source,
    }
}

impl Journal {
    /// Creates a new journal (never overwrites one) and writes its header.
    pub fn create(path: &Path, header: &Header) -> Result<Journal, JournalError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io(dir))?;
        }
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(path).map_err(io(path))?;
        let mut journal = Journal::over(file, path, 0);
        let first = serde_json::to_string(&First::Show(header.clone())).expect("header serializes");
        journal.pending.push_back(first + "\n");
        if let Err(e) = journal.flush() {
            // A journal without its header (a full disk) is no journal: leave nothing behind.
            let _ = std::fs::remove_file(path);
            return Err(e);
        }
        Ok(journal)
    }

    /// Creates a new journal at `path`, or beside it with `-2`, `-3`… when that name is taken
    /// (two runs of one show started in the same millisecond).
    pub fn create_unique(path: &Path, header: &Header) -> Result<Journal, JournalError> {
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut candidate = path.to_owned();
        for n in 2.. {
            match Journal::create(&candidate, header) {
                Err(JournalError::Io { source, .. })
                    if source.kind() == std::io::ErrorKind::AlreadyExists && n < 100 =>
                {
                    candidate = path.with_file_name(format!("{stem}-{n}.jsonl"));
                }
                other => return other,
            }
        }
        unreachable!("the loop returns")
    }

    /// Opens a recorded journal for appending, cutting off a torn last line first.
    pub fn reopen(recorded: &Recorded) -> Result<Journal, JournalError> {
        let path = &recorded.path;
        let file = OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(io(path))?;
        file.set_len(recorded.good_len).map_err(io(path))?;
        Ok(Journal::over(file, path, recorded.good_len))
    }

    /// A journal over an open `file` whose whole lines end at `good_len`.
    pub(crate) fn over(file: File, path: &Path, good_len: u64) -> Journal {
        Journal {
            file,
            path: path.to_owned(),
            good_len,
            pending: std::collections::VecDeque::new(),
            dropped: 0,
            dirty: false,
            replica: None,
        }
    }

    /// Sends this journal's lines to NATS from now on (`--nats`), after the lines from number
    /// `already` on (the header is line 0) that it holds or that wait for the disk: the lines
    /// before are in the stream already.
    pub fn replicate(&mut self, mut replica: crate::nats::journal::Replica, already: usize) {
        let text = std::fs::read(&self.path)
            .map(|bytes| {
                let whole = bytes.len().min(self.good_len as usize);
                String::from_utf8_lossy(&bytes[..whole]).into_owned()
            })
            .unwrap_or_default();
        for line in text
            .lines()
            .chain(self.pending.iter().map(|l| l.trim_end()))
            .skip(already)
        {
            replica.push(line);
        }
        self.replica = Some(replica);
    }

    /// Stops sending lines to NATS, at once.
    pub fn stop_replicating(&mut self) {
        if let Some(replica) = self.replica.take() {
            replica.stop();
        }
    }

    /// Resolves when NATS has every line so far (see `Replica::settled`); at once without NATS.
    pub fn replicated(&self) -> impl Future<Output = ()> + Send + 'static + use<> {
        let settled = self.replica.as_ref().map(|r| r.settled());
        async move {
            if let Some(settled) = settled {
                settled.await;
            }
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends lines after any still pending and forces them to disk before returning. On an
    /// error nothing is lost: the lines wait (see [`Journal::flush`]).
    pub fn write(&mut self, lines: &[Line]) -> Result<(), JournalError> {
        self.queue(lines);
        self.flush().map(|_| ())
    }

    /// Adds lines to the end of the queue without writing them.
    pub fn queue(&mut self, lines: &[Line]) {
        for line in lines {
            let mut text = serde_json::to_string(line).expect("a journal line serializes");
            // NATS gets it even when the disk's queue is full: it keeps its own.
            if let Some(replica) = &mut self.replica {
                replica.push(&text);
            }
            if self.pending.len() >= MAX_PENDING {
                self.dropped += 1;
                continue;
            }
            text.push('\n');
            self.pending.push_back(text);
        }
    }

    /// Writes every pending line, in order, in one write, and syncs; returns how many were
    /// written. On an error the file is cut back to its last whole line (a full disk may take
    /// half a write) and the lines stay pending for the next try.
    pub fn flush(&mut self) -> Result<usize, JournalError> {
        use std::io::Seek;
        if self.pending.is_empty() {
            return Ok(0);
        }
        let attempt = (|| -> std::io::Result<u64> {
            if self.dirty {
                self.file.set_len(self.good_len)?;
            }
            self.file.seek(std::io::SeekFrom::Start(self.good_len))?;
            let text: String = self.pending.iter().map(String::as_str).collect();
            self.file.write_all(text.as_bytes())?;
            self.file.sync_data()?;
            Ok(text.len() as u64)
        })();
        match attempt {
            Ok(written) => {
                self.good_len += written;
                self.dirty = false;
                let n = self.pending.len();
                self.pending.clear();
                Ok(n)
            }
            Err(source) => {
                self.dirty = true;
                // Cut a partial write now (a crash before the next try leaves at most a torn
                // last line, which reading ignores); if even that fails, the next try does it.
                if self.file.set_len(self.good_len).is_ok() {
                    self.dirty = false;
                }
                Err(JournalError::Io {
                    path: self.path.clone(),
                    source,
                })
            }
        }
    }

    /// Lines waiting for the disk.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Lines given up because too many were waiting.
    pub fn dropped(&self) -> usize {
        self.dropped
    }
}

/// A journal read back.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub path: PathBuf,
    pub header: Header,
    pub lines: Vec<Line>,
    /// 1-based number of a torn last line that was ignored.
    pub torn: Option<usize>,
    /// Byte length of the intact part.
    pub good_len: u64,
}

impl Recorded {
    /// Whether the run ended (an `end` line after the last resume).
    pub fn finished(&self) -> bool {
        matches!(self.lines.last(), Some(Line::End { .. }))
    }

    /// Rebuilds the engine by applying every recorded command at its show time. When `show` is
    /// the session file as this run wrote it back (edited: [`Recorded::written_back`]), the
    /// commands replay onto the segments the journal recorded, and the file gives back what the
    /// journal does not keep (notes, anchors).
    pub fn replay(&self, show: &Show) -> Engine {
        if let Some(mut engine) = self.replay_written_back(show) {
            engine.adopt_details(show);
            return engine;
        }
        self.replay_onto(show)
    }

    /// Whether `show` (the session file now) differs from the show this journal recorded only by
    /// the run's own edits: it was written back by the run (`--write-back`, "Save to file").
    pub fn written_back(&self, show: &Show) -> bool {
        self.replay_written_back(show).is_some()
    }

    fn replay_written_back(&self, show: &Show) -> Option<Engine> {
        let now = segment_records(show);
        if now == self.header.segments {
            return None;
        }
        let recorded = Show {
            segments: self.header.show().segments,
            ..show.clone()
        };
        let engine = self.replay_onto(&recorded);
        (segment_records(engine.show()) == now).then_some(engine)
    }

    fn replay_onto(&self, show: &Show) -> Engine {
        let mut engine = Engine::new(show).with_target(self.header.target());
        for (at, cmd) in self.commands() {
            // Only applied commands were recorded; a refusal here would mean a different show,
            // which `check_same_show` has ruled out.
            let _ = engine.apply(cmd, at);
        }
        engine
    }

    /// The recorded commands with their show times.
    pub fn commands(&self) -> impl Iterator<Item = (ShowTime, Command)> + '_ {
        self.lines.iter().filter_map(|line| match line {
            Line::Command { at_ms, cmd, .. } => protocol::parse_command(cmd.to_string().as_bytes())
                .ok()
                .map(|c| (ShowTime(*at_ms), c)),
            _ => None,
        })
    }
}

/// Reads a journal; a torn last line (a crash mid-write) is ignored with a warning.
pub fn read(path: &Path) -> Result<Recorded, JournalError> {
    let file = File::open(path).map_err(io(path))?;
    let mut reader = BufReader::new(file);
    let mut header = None;
    let mut lines = Vec::new();
    let mut torn = None;
    let mut good_len = 0u64;
    let mut pending: Option<(usize, String)> = None;
    let mut number = 0usize;
    let mut inserted = 0usize;
    let mut buf = String::new();
    loop {
        buf.clear();
        let n = reader.read_line(&mut buf).map_err(io(path))?;
        if n == 0 {
            break;
        }
        number += 1;
        if let Some((line, why)) = pending.take() {
            return Err(JournalError::Corrupt {
                path: path.to_owned(),
                line,
                why,
            });
        }
        let complete = buf.ends_with('\n');
        let text = buf.trim_end();
        let damaged = |why: String| JournalError::Damaged {
            path: path.to_owned(),
            line: number,
            why,
        };
        let parsed = match &header {
            None => serde_json::from_str::<First>(text).map(|First::Show(h)| Some(h)),
            Some(_) => serde_json::from_str::<Line>(text).map(|l| {
                lines.push(l);
                None
            }),
        };
        // A line that parses is checked for sense; a torn one is left to the rules below.
        let parsed = match parsed {
            Ok(Some(h)) => {
                h.check().map_err(damaged)?;
                header = Some(h);
                Ok(())
            }
            Ok(None) => {
                // Edits may insert segments: no line names one beyond all those ever inserted.
                let segments = header.as_ref().map_or(0, |h| h.segments.len()) + inserted;
                if let Some(line) = lines.last() {
                    line.check(segments).map_err(damaged)?;
                    inserted += line.inserts();
                }
                Ok(())
            }
            Err(e) => Err(e),
        };
        match parsed {
            Ok(()) if complete => good_len += n as u64,
            // Parsed but unterminated: treat as torn too (the newline is part of the write).
            Ok(()) => {
                if header.is_some() && !lines.is_empty() {
                    lines.pop();
                }
                torn = Some(number);
            }
            Err(e) => pending = Some((number, e.to_string())),
        }
    }
    if let Some((line, _)) = pending {
        torn = Some(line);
    }
    if let Some(line) = torn {
        tracing::warn!(
            "{}:{line}: ignoring a torn last line (the process stopped mid-write)",
            path.display()
        );
    }
    let header = header.ok_or_else(|| JournalError::NoHeader {
        path: path.to_owned(),
    })?;
    Ok(Recorded {
        path: path.to_owned(),
        header,
        lines,
        torn,
        good_len,
    })
}

/// `runs/<show-stem>-<UTC start>.jsonl`.
pub fn default_path(dir: &Path, show: &Path, started: DateTime<Utc>) -> PathBuf {
    let stem = show
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "show".into());
    dir.join(format!(
        "{stem}-{}.jsonl",
        started.format("%Y%m%dT%H%M%S%.3fZ")
    ))
}

/// `runs/<event-stem>-<UTC start>/`: the directory of an event's run, one `<room>.jsonl` each.
pub fn default_run_dir(dir: &Path, stem: &str, started: DateTime<Utc>) -> PathBuf {
    dir.join(format!("{stem}-{}", started.format("%Y%m%dT%H%M%S%.3fZ")))
}

/// The journal of room `id` in an event's run directory.
pub fn room_journal(run: &Path, id: &str) -> PathBuf {
    run.join(format!("{id}.jsonl"))
}

/// The run of the event `stem` in `dir` that a plain `--resume` resumes: among the run
/// directories whose rooms `ids` are all recorded and not all finished, the one with the latest
/// activity in any room (never one in which nothing was ever recorded). Returns the directory and
/// why it was chosen.
pub fn newest_unfinished_run(
    dir: &Path,
    stem: &str,
    ids: &[&str],
) -> Result<(PathBuf, String), JournalError> {
    let nothing = || JournalError::NothingToResume {
        show: PathBuf::from(stem),
        dir: dir.to_owned(),
        never_started: 0,
    };
    let entries = std::fs::read_dir(dir).map_err(|_| nothing())?;
    let mut runs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_dir()
                && p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                    n.strip_prefix(stem)
                        .and_then(|rest| rest.strip_prefix('-'))
                        .is_some_and(|ts| ts.starts_with(|c: char| c.is_ascii_digit()))
                })
        })
        .collect();
    runs.sort();
    let mut best: Option<(DateTime<Utc>, PathBuf)> = None;
    for run in runs {
        let recorded: Result<Vec<Recorded>, _> =
            ids.iter().map(|id| read(&room_journal(&run, id))).collect();
        let Ok(recorded) = recorded else { continue };
        if recorded.iter().all(Recorded::finished) {
            continue;
        }
        let latest = recorded
            .iter()
            .filter(|r| r.started())
            .filter_map(Recorded::last_activity)
            .max();
        if let Some(at) = latest
            && best.as_ref().is_none_or(|(b, _)| at >= *b)
        {
            best = Some((at, run));
        }
    }
    let (at, run) = best.ok_or_else(nothing)?;
    let why = format!(
        "resuming every room of {}: the newest unfinished run of this event, last event {} UTC",
        run.display(),
        at.format("%H:%M:%S")
    );
    Ok((run, why))
}

/// The journal a plain `--resume` chose, and why.
#[derive(Debug)]
pub struct Chosen {
    pub recorded: Recorded,
    /// The wall-clock time of its last line.
    pub last_activity: DateTime<Utc>,
    /// Unfinished journals of the show passed over because nothing was ever recorded in them
    /// (a start that failed, a stray file).
    pub never_started: usize,
    /// Journals of the show passed over because they could not be read.
    pub unreadable: usize,
}

impl Chosen {
    /// What to tell the moderator: which journal, and why this one.
    pub fn explain(&self) -> String {
        let tz = crate::show::parse_zone(&self.recorded.header.timezone).unwrap_or(chrono_tz::UTC);
        let mut text = format!(
            "resuming {}: the newest unfinished run of this show, last event {}",
            self.recorded.path.display(),
            self.last_activity.with_timezone(&tz).format("%H:%M:%S %Z")
        );
        if self.never_started > 0 {
            let _ = std::fmt::Write::write_fmt(
                &mut text,
                format_args!("; skipped {} that never started", self.never_started),
            );
        }
        if self.unreadable > 0 {
            let _ = std::fmt::Write::write_fmt(
                &mut text,
                format_args!("; skipped {} that cannot be read", self.unreadable),
            );
        }
        text
    }
}

impl Recorded {
    /// The wall-clock time of the last recorded line (none for a header alone).
    pub fn last_activity(&self) -> Option<DateTime<Utc>> {
        self.lines
            .iter()
            .map(|l| match l {
                Line::Command { wall, .. }
                | Line::Event { wall, .. }
                | Line::Resume { wall, .. }
                | Line::End { wall, .. } => *wall,
            })
            .max()
    }

    /// Whether the moderator ever did anything in this run (a command was recorded).
    pub fn started(&self) -> bool {
        self.lines.iter().any(|l| matches!(l, Line::Command { .. }))
    }
}

/// The unfinished journal of `show` in `dir` with the latest activity, skipping journals in which
/// nothing was ever recorded: resuming one of those would put every screen back to the first
/// segment with another token.
pub fn newest_unfinished(dir: &Path, show: &Path) -> Result<Chosen, JournalError> {
    let stem = show
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let nothing = |never_started: usize| JournalError::NothingToResume {
        show: show.to_owned(),
        dir: dir.to_owned(),
        never_started,
    };
    let entries = std::fs::read_dir(dir).map_err(|_| nothing(0))?;
    let mut candidates: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n.ends_with(".jsonl")
                    && n.strip_prefix(&stem)
                        .and_then(|rest| rest.strip_prefix('-'))
                        .is_some_and(|ts| ts.starts_with(|c: char| c.is_ascii_digit()))
            })
        })
        .collect();
    // Names end in a UTC timestamp: on equal activity, the newer name wins.
    candidates.sort();
    let (mut never_started, mut unreadable) = (0, 0);
    let mut best: Option<(DateTime<Utc>, Recorded)> = None;
    for path in &candidates {
        let recorded = match read(path) {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!("not resuming {}: {e}", path.display());
                unreadable += 1;
                continue;
            }
        };
        if recorded.finished() {
            continue;
        }
        match recorded.last_activity().filter(|_| recorded.started()) {
            None => never_started += 1,
            Some(at) if best.as_ref().is_none_or(|(b, _)| at >= *b) => {
                best = Some((at, recorded));
            }
            Some(_) => {}
        }
    }
    let (last_activity, recorded) = best.ok_or_else(|| nothing(never_started))?;
    Ok(Chosen {
        recorded,
        last_activity,
        never_started,
        unreadable,
    })
}
