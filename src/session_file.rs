//! The session file as the other side of the edited run-of-show: "Save to file" and
//! `--write-back` write the edited segments back into it with `toml_edit`, keeping its comments,
//! order of keys and layout (a segment's table moves with its comments; only the values that
//! changed are rewritten, each keeping its trailing comment). A save is refused when the file
//! changed on disk since podium loaded (or last saved) it: the organiser's edits are never
//! overwritten. What is written is loaded back and must give the edited segments, or nothing is
//! written. The file is replaced atomically (a temporary file renamed over it).
//!
//! It also reads the file when it changes on disk ([`SessionFile::changed`]), bounded in size.

use std::path::{Path, PathBuf};
use std::time::Duration;

use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, Value};

use crate::journal::content_hash;
use crate::show::{self, DEFAULT_WARN, Kind, LoadError, OnEnd, Segment, Show};

/// The largest session file podium reads back while a show runs.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum WriteBackError {
    #[error("{path}: cannot read the session file: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{path}: the session file changed on disk since podium loaded it; it was not overwritten. \
         Apply or dismiss the file's changes first (or save the edited show elsewhere)"
    )]
    Changed { path: PathBuf },
    #[error("{path}: the session file is no longer TOML ({why}); it was not overwritten")]
    NotToml { path: PathBuf, why: String },
    #[error("{path}: {why}; it was not overwritten")]
    Unwritable { path: PathBuf, why: String },
    #[error("{path}: cannot write the session file: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: the session file has no {what}: podium only writes back a session file")]
    NotASession { path: PathBuf, what: &'static str },
}

/// The session file of a running show: where it is, what podium last read or wrote there, and
/// which of the show's segments (by [`podium_core::engine::Engine::segment_ids`]) its
/// `[[segment]]` tables are, in order.
#[derive(Debug, Clone)]
pub struct SessionFile {
    path: PathBuf,
    hash: String,
    file_ids: Vec<u32>,
}

/// What the file on disk holds now, when it differs from what podium last read or wrote.
#[derive(Debug)]
pub enum OnDisk {
    /// Unchanged (or changed back): nothing to offer.
    Same,
    /// A valid run-of-show, with its hash.
    Valid { show: Box<Show>, hash: String },
    /// Refused: why, with `FILE:LINE:COL` when it is a mistake in the file.
    Invalid(String),
}

impl SessionFile {
    /// The file `path` as loaded, with the hash of the bytes the show was loaded from and its
    /// `segments` segments (ids `0..segments`).
    pub fn new(path: &Path, hash: String, segments: usize) -> SessionFile {
        SessionFile {
            path: path.to_owned(),
            hash,
            file_ids: (0..segments as u32).collect(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The hash of what podium last read or wrote.
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// The file's new bytes (hash `hash`) hold the same upcoming segments: nothing to offer.
    pub fn accept(&mut self, hash: String) {
        self.hash = hash;
    }

    /// The file now holds the show whose segments have these ids (its changes were applied),
    /// with this hash.
    pub fn adopt(&mut self, hash: String, ids: &[u32]) {
        self.hash = hash;
        self.file_ids = ids.to_vec();
    }

    /// Writes `show` (the edited run-of-show, its segments numbered `ids`) back into the file.
    pub fn save(&mut self, show: &Show, ids: &[u32]) -> Result<(), WriteBackError> {
        let path = self.path.clone();
        let bytes = read_bounded(&path).map_err(|source| WriteBackError::Read {
            path: path.clone(),
            source,
        })?;
        if content_hash(&bytes) != self.hash {
            return Err(WriteBackError::Changed { path });
        }
        let text = String::from_utf8(bytes).map_err(|_| WriteBackError::NotToml {
            path: path.clone(),
            why: "not UTF-8".into(),
        })?;
        let written = rewrite(&path, &text, &self.file_ids, show, ids)?;
        if written != text {
            write_atomically(&path, written.as_bytes()).map_err(|source| {
                WriteBackError::Write {
                    path: path.clone(),
                    source,
                }
            })?;
        }
        self.hash = content_hash(written.as_bytes());
        self.file_ids = ids.to_vec();
        Ok(())
    }

    /// What the file holds now, read (at most [`MAX_FILE_BYTES`]) and validated.
    pub fn changed(&self) -> OnDisk {
        let bytes = match read_bounded(&self.path) {
            Ok(bytes) => bytes,
            Err(e) => {
                return OnDisk::Invalid(format!(
                    "{}: cannot read the session file: {e}",
                    self.path.display()
                ));
            }
        };
        let hash = content_hash(&bytes);
        if hash == self.hash {
            return OnDisk::Same;
        }
        match show::parse_bytes(&self.path, &bytes, show::machine_zone()) {
            Ok(show) => OnDisk::Valid {
                show: Box::new(show),
                hash,
            },
            Err(e) => OnDisk::Invalid(e.to_string()),
        }
    }
}

/// The file's bytes, refused past [`MAX_FILE_BYTES`] (a runaway file is not read into memory)
/// and refused unless it is a regular file. It is opened without blocking: a named pipe (FIFO)
/// put in the file's place would otherwise block the open until someone writes to it, holding
/// a runtime thread and the [`Link`]'s lock, and with them every page that asks about the file.
fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
        .open(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::other(
            "it is not a regular file (a directory, a pipe or a device): not a session file",
        ));
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(std::io::Error::other(format!(
            "it is over {} KiB: not a session file podium reads while the show runs",
            MAX_FILE_BYTES / 1024
        )));
    }
    Ok(bytes)
}

/// Writes `bytes` to a temporary file beside `path` and renames it over `path`, keeping the
/// file's permissions: a reader never sees half a file.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir
        .unwrap_or(Path::new("."))
        .join(format!(".{name}.podium-{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        if let Ok(meta) = std::fs::metadata(path) {
            std::fs::set_permissions(&tmp, meta.permissions())?;
        }
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// `8m`, `1h 30m`: a length as the session file writes it.
fn length(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

/// A length value as written in the file, if it is one.
fn written_length(item: Option<&Item>) -> Option<Duration> {
    item?
        .as_str()
        .and_then(|s| humantime::parse_duration(s.trim()).ok())
}

/// Sets `key` to `value` unless the file already says so (in any spelling: a multi-line string
/// with line continuations is the same text), keeping the key's comments and the old value's
/// trailing comment.
fn set(table: &mut Table, key: &str, value: Value) {
    match table.get_mut(key) {
        Some(Item::Value(old)) => {
            let same = match (&*old, &value) {
                (Value::String(a), Value::String(b)) => a.value() == b.value(),
                (Value::Boolean(a), Value::Boolean(b)) => a.value() == b.value(),
                (Value::Integer(a), Value::Integer(b)) => a.value() == b.value(),
                _ => false,
            };
            if !same {
                let decor = old.decor().clone();
                *old = value;
                *old.decor_mut() = decor;
            }
        }
        _ => {
            table.insert(key, Item::Value(value));
        }
    }
}

/// Sets a length unless the file already gives the same one (in any spelling).
fn set_length(table: &mut Table, key: &str, d: Duration) {
    if written_length(table.get(key)) != Some(d) {
        set(table, key, Value::from(length(d)));
    }
}

/// The file's defaults for a segment that gives none.
struct Defaults {
    warn: Duration,
    on_end: OnEnd,
}

impl Defaults {
    fn of(doc: &DocumentMut) -> Defaults {
        Defaults {
            warn: written_length(doc.get("warn")).unwrap_or(DEFAULT_WARN),
            on_end: match doc.get("on_end").and_then(Item::as_str).map(str::trim) {
                Some("stop") => OnEnd::Stop,
                Some("next") => OnEnd::Next,
                _ => OnEnd::Overtime,
            },
        }
    }

    /// The warning a segment of `duration` inherits.
    fn warn_for(&self, duration: Duration) -> Duration {
        if self.warn >= duration {
            duration / 2
        } else {
            self.warn
        }
    }
}

/// Brings `table` (a segment's, maybe new) in line with `seg`, touching only what differs.
fn update(table: &mut Table, seg: &Segment, defaults: &Defaults) {
    set(table, "title", Value::from(seg.title.as_str()));
    match &seg.speaker {
        Some(speaker) => set(table, "speaker", Value::from(speaker.as_str())),
        None => {
            table.remove("speaker");
        }
    }
    let kind_written = table.get("kind").and_then(Item::as_str).map(str::to_owned);
    if kind_written.is_some() || seg.kind != Kind::Talk {
        set(table, "kind", Value::from(seg.kind.as_str()));
    }
    set_length(table, "duration", seg.duration);
    for (key, value) in [("min", seg.min), ("max", seg.max)] {
        match value {
            Some(d) => set_length(table, key, d),
            None => {
                table.remove(key);
            }
        }
    }
    if table.contains_key("warn") || seg.warn != defaults.warn_for(seg.duration) {
        set_length(table, "warn", seg.warn);
    }
    match seg.at {
        Some(at) => {
            let format = if at.format("%S").to_string() == "00" {
                "%H:%M"
            } else {
                "%H:%M:%S"
            };
            let written = table
                .get("at")
                .and_then(Item::as_str)
                .and_then(show::parse_time_of_day);
            if written != Some(at) {
                set(table, "at", Value::from(at.format(format).to_string()));
            }
        }
        None => {
            table.remove("at");
        }
    }
    match &seg.notes {
        Some(notes) => set(table, "notes", Value::from(notes.as_str())),
        None => {
            table.remove("notes");
        }
    }
    if table.contains_key("on_end") || seg.on_end != defaults.on_end {
        set(table, "on_end", Value::from(seg.on_end.as_str()));
    }
    if table.contains_key("auto_start") || seg.auto_start {
        set(table, "auto_start", Value::from(seg.auto_start));
    }
}

/// `text` (the session file, its `[[segment]]` tables being the segments `file_ids`) with its
/// segments made `show`'s (numbered `ids`): a segment still in the file keeps its table (and
/// comments), in the new order; a new one gets a new table; a deleted one's table goes. Checked
/// by loading the result back: it must give exactly `show`'s segments.
pub fn rewrite(
    path: &Path,
    text: &str,
    file_ids: &[u32],
    show: &Show,
    ids: &[u32],
) -> Result<String, WriteBackError> {
    let mut doc: DocumentMut =
        text.parse()
            .map_err(|e: toml_edit::TomlError| WriteBackError::NotToml {
                path: path.to_owned(),
                why: e.message().trim().replace('\n', " "),
            })?;
    let defaults = Defaults::of(&doc);
    let old = match doc.get("segment") {
        Some(Item::ArrayOfTables(tables)) => tables.clone(),
        _ => {
            return Err(WriteBackError::NotASession {
                path: path.to_owned(),
                what: "[[segment]] tables",
            });
        }
    };
    // A file whose tables no longer match the ids (it was edited by hand in between, and its
    // changes applied) is taken by position.
    let by_id = old.len() == file_ids.len();
    // toml_edit writes tables in the order of their positions in the document: the segments'
    // tables take the old ones' positions in their new order (a table beyond them follows).
    let mut positions: Vec<isize> = old.iter().filter_map(Table::position).collect();
    positions.sort_unstable();
    let mut tables = ArrayOfTables::new();
    for (n, (seg, id)) in show.segments.iter().zip(ids).enumerate() {
        let existing = if by_id {
            file_ids.iter().position(|f| f == id)
        } else {
            Some(n).filter(|n| *n < old.len())
        };
        let mut table = match existing.and_then(|i| old.get(i)) {
            Some(table) => table.clone(),
            None => Table::new(),
        };
        update(&mut table, seg, &defaults);
        table.set_position(positions.get(n).copied());
        tables.push(table);
    }
    doc.insert("segment", Item::ArrayOfTables(tables));
    let written = doc.to_string();
    let back =
        show::load_str(path, &written).map_err(|e: LoadError| WriteBackError::Unwritable {
            path: path.to_owned(),
            why: format!("the edited show would not load back ({e})"),
        })?;
    if back.segments != show.segments {
        let at = (0..show.segments.len())
            .find(|&i| back.segments.get(i) != show.segments.get(i))
            .unwrap_or_default();
        return Err(WriteBackError::Unwritable {
            path: path.to_owned(),
            why: format!(
                "segment {at} would read back as {:?}, not {:?} (a bug in podium)",
                back.segments.get(at),
                show.segments.get(at)
            ),
        });
    }
    Ok(written)
}

/// Changes found in the session file on disk, offered for the segments not yet started.
#[derive(Debug, Clone, PartialEq)]
pub struct Offer {
    /// The file's hash when it was read: apply only what was offered.
    pub hash: String,
    /// The first segment not yet started, where the file's segments would go.
    pub from: usize,
    /// The file's segments from there on.
    pub segments: Vec<Segment>,
    /// What would change, one line each, for people.
    pub summary: Vec<String>,
}

/// What the moderator is told about the session file now.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct FileView {
    pub path: String,
    pub write_back: bool,
    /// Changes in the file, offered (`null`: none).
    pub offer: Option<OfferView>,
    /// The file changed on disk but cannot be used, with `FILE:LINE:COL`; or the last save failed.
    pub problem: Option<String>,
    /// Bumped whenever any of the above changes: pages poll this cheaply.
    pub version: u64,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OfferView {
    pub hash: String,
    pub from: usize,
    pub summary: Vec<String>,
}

struct LinkState {
    file: SessionFile,
    write_back: bool,
    offer: Option<Offer>,
    problem: Option<String>,
    version: u64,
}

/// A room's session file, shared by the server, the console and the watcher.
pub struct Link {
    state: std::sync::Mutex<LinkState>,
    changed: tokio::sync::watch::Sender<u64>,
}

/// What an offer would change in the segments from `from`, for people (at most a dozen lines).
pub fn describe(current: &[Segment], from: usize, file: &[Segment]) -> Vec<String> {
    let now = current.get(from..).unwrap_or_default();
    let mut lines = Vec::new();
    for (i, pair) in (from..).zip(now.iter().zip(file)) {
        let (was, is) = pair;
        if was == is {
            continue;
        }
        let mut what = Vec::new();
        if was.title != is.title {
            what.push(format!("title {:?}", is.title));
        }
        if was.speaker != is.speaker {
            what.push(format!(
                "speaker {:?}",
                is.speaker.as_deref().unwrap_or("none")
            ));
        }
        if was.duration != is.duration {
            what.push(format!("duration {}", show::format_hms(is.duration)));
        }
        if what.is_empty() {
            what.push("timings or notes".into());
        }
        lines.push(format!(
            "segment {} ({:?}): {}",
            i + 1,
            was.title,
            what.join(", ")
        ));
    }
    for (i, seg) in (from + now.len().min(file.len())..).zip(file.iter().skip(now.len())) {
        lines.push(format!(
            "segment {}: new, {:?} ({})",
            i + 1,
            seg.title,
            show::format_hms(seg.duration)
        ));
    }
    for (i, seg) in (from + file.len().min(now.len())..).zip(now.iter().skip(file.len())) {
        lines.push(format!("segment {} ({:?}): removed", i + 1, seg.title));
    }
    if lines.len() > 12 {
        let more = lines.len() - 11;
        lines.truncate(11);
        lines.push(format!("… and {more} more"));
    }
    lines
}

impl Link {
    pub fn new(file: SessionFile, write_back: bool) -> Link {
        Link {
            state: std::sync::Mutex::new(LinkState {
                file,
                write_back,
                offer: None,
                problem: None,
                version: 0,
            }),
            changed: tokio::sync::watch::channel(0).0,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LinkState> {
        // A panic while holding it leaves plain data: carry on with it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn bump(&self, state: &mut LinkState) {
        state.version += 1;
        self.changed.send_replace(state.version);
    }

    /// Wakes when what [`Link::view`] says changes.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changed.subscribe()
    }

    pub fn view(&self) -> FileView {
        let state = self.lock();
        FileView {
            path: state.file.path().display().to_string(),
            write_back: state.write_back,
            offer: state.offer.as_ref().map(|o| OfferView {
                hash: o.hash.clone(),
                from: o.from,
                summary: o.summary.clone(),
            }),
            problem: state.problem.clone(),
            version: state.version,
        }
    }

    pub fn write_back(&self) -> bool {
        self.lock().write_back
    }

    pub fn offer(&self) -> Option<Offer> {
        self.lock().offer.clone()
    }

    /// Saves the edited show (segments numbered `ids`) into the file.
    pub fn save(&self, show: &Show, ids: &[u32]) -> Result<(), WriteBackError> {
        let mut state = self.lock();
        let result = state.file.save(show, ids);
        let problem = result.as_ref().err().map(ToString::to_string);
        if state.problem != problem {
            state.problem = problem;
            self.bump(&mut state);
        }
        result
    }

    /// Looks at the file on disk: an offer for the segments from `from` of `current` (the show as
    /// edited), a problem, or nothing when the file is what podium last read or wrote.
    pub fn look(&self, current: &Show, from: usize) {
        let mut state = self.lock();
        let (offer, problem) = match state.file.changed() {
            OnDisk::Same => (None, None),
            OnDisk::Invalid(why) => (
                None,
                Some(format!(
                    "the session file changed on disk but cannot be used: {why}"
                )),
            ),
            OnDisk::Valid { show, hash } => {
                let segments = upcoming_in(current, from, &show.segments);
                let summary = describe(&current.segments, from, &segments);
                if summary.is_empty() {
                    // Only what has run (or nothing podium shows) differs: nothing to offer.
                    state.file.accept(hash);
                    (None, None)
                } else {
                    (
                        Some(Offer {
                            hash,
                            from,
                            segments,
                            summary,
                        }),
                        None,
                    )
                }
            }
        };
        if state.offer != offer || state.problem != problem {
            state.offer = offer;
            state.problem = problem;
            self.bump(&mut state);
        }
    }

    /// The offer was applied: the file (hash `hash`) now holds the show with segments `ids`.
    pub fn applied(&self, hash: &str, ids: &[u32]) {
        let mut state = self.lock();
        state.file.adopt(hash.to_owned(), ids);
        state.offer = None;
        state.problem = None;
        self.bump(&mut state);
    }

    /// The moderator turned the offer down: the file stays as it is, and is not offered again
    /// until it changes again (a save refuses it: it changed on disk).
    pub fn dismiss(&self) {
        let mut state = self.lock();
        if state.offer.take().is_some() || state.problem.take().is_some() {
            self.bump(&mut state);
        }
    }
}

/// Applies the file's offered changes through the controller, as one journaled edit
/// (`op: "upcoming"`). A refusal (the show moved on since) looks at the file again, so that a
/// fresh offer replaces the stale one, and says why.
pub async fn apply_offer(
    handle: &crate::controller::Handle,
    link: &Link,
) -> Result<std::sync::Arc<crate::controller::Published>, String> {
    use crate::engine::{Command, Edit};
    let offer = link
        .offer()
        .ok_or("there are no changes from the file to apply")?;
    let cmd = Command::Edit(Edit::Upcoming {
        from: offer.from,
        segments: offer.segments,
    });
    match handle.command(cmd).await {
        Ok(Ok(published)) => {
            link.applied(&offer.hash, &published.segment_ids);
            Ok(published)
        }
        Ok(Err(refused)) => {
            let published = handle.subscribe().borrow().clone();
            link.look(
                &published.show,
                first_not_started(&published.snapshot, published.show.segments.len()),
            );
            Err(format!("the file's changes were not applied: {refused}"))
        }
        Err(stopped) => Err(stopped.to_string()),
    }
}

/// The first segment that has not started, from a state: the current one before it starts, else
/// the one after it (`segments` once the show is finished).
pub fn first_not_started(snap: &crate::engine::Snapshot, segments: usize) -> usize {
    use crate::engine::Phase;
    match snap.phase {
        Phase::Ready => snap.index,
        Phase::Finished => segments,
        _ => snap.index + 1,
    }
}

/// The file's segments that would replace `current`'s from `from` on: after the file's copy of
/// the segment before `from` (found by its title, so segments added or removed before it in the
/// file do not shift what follows), else from the same position.
fn upcoming_in(current: &Show, from: usize, file: &[Segment]) -> Vec<Segment> {
    let start = match from.checked_sub(1).and_then(|i| current.segments.get(i)) {
        Some(last) => file
            .iter()
            .rposition(|s| s.title == last.title)
            .map_or(from, |i| i + 1),
        None => 0,
    };
    file.get(start.min(file.len())..)
        .unwrap_or_default()
        .to_vec()
}

/// The link to a room's session file, or `None` when the room has no file of its own (its show
/// is written inside an event file) or the file cannot be read now. `ids` are the segments its
/// tables are (`0..n` as loaded; a resumed run's ids when the file is what it wrote back).
pub fn link(
    path: &Path,
    hash: &str,
    ids: &[u32],
    write_back: bool,
) -> Option<std::sync::Arc<Link>> {
    let bytes = read_bounded(path).ok()?;
    let text = std::str::from_utf8(&bytes).ok()?;
    if podium_core::event::is_event(text) {
        return None;
    }
    let mut file = SessionFile::new(path, hash.to_owned(), ids.len());
    file.adopt(hash.to_owned(), ids);
    Some(std::sync::Arc::new(Link::new(file, write_back)))
}

/// How long the file must be quiet before podium reads it: an editor's save is often several
/// writes (or a write and a rename).
pub const QUIET: Duration = Duration::from_millis(300);

/// The longest a change of the file waits for quiet before podium looks at it anyway.
pub const MAX_WAIT: Duration = Duration::from_secs(2);

/// Watches the session file (its directory, as editors replace files by renaming) and offers its
/// changes; with `--write-back`, saves each edit into it. Ends on `shutdown`. A file that
/// cannot be watched is said once; the show goes on.
pub fn spawn(
    link: std::sync::Arc<Link>,
    control: crate::controller::Handle,
    shutdown: tokio_util::sync::CancellationToken,
) -> tokio::task::JoinHandle<()> {
    // Taken now, not when the task first runs: an edit made in between is still saved.
    let mut states = control.subscribe();
    let mut revision = states.borrow_and_update().snapshot.revision;
    tokio::spawn(async move {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<()>(1);
        let path = {
            let state = link.lock();
            state.file.path().to_owned()
        };
        let name = path.file_name().map(ToOwned::to_owned);
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
            _ => PathBuf::from("."),
        };
        let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            // Reads of the file (an editor opening it, anyone reading it) are no change.
            let ours = event.is_ok_and(|e| {
                !matches!(e.kind, notify::EventKind::Access(_))
                    && e.paths.iter().any(|p| p.file_name() == name.as_deref())
            });
            if ours {
                // Full: a look is already due.
                let _ = tx.try_send(());
            }
        })
        .and_then(|mut w| {
            notify::Watcher::watch(&mut w, &dir, notify::RecursiveMode::NonRecursive).map(|()| w)
        });
        let _watcher = match watcher {
            Ok(w) => Some(w),
            Err(e) => {
                tracing::warn!(
                    "{}: cannot watch the session file for changes ({e}); edits in it will not be offered",
                    path.display()
                );
                None
            }
        };
        // When to look at the file: QUIET after its last change, and at most MAX_WAIT after its
        // first, so that a file rewritten without end is still looked at. Saves never wait.
        let mut due: Option<(tokio::time::Instant, tokio::time::Instant)> = None;
        loop {
            let look_at = due.map(|(first, last)| (last + QUIET).min(first + MAX_WAIT));
            tokio::select! {
                _ = shutdown.cancelled() => break,
                Some(()) = rx.recv() => {
                    let now = tokio::time::Instant::now();
                    due = Some(due.map_or((now, now), |(first, _)| (first, now)));
                }
                _ = async {
                    match look_at {
                        Some(at) => tokio::time::sleep_until(at).await,
                        None => std::future::pending().await,
                    }
                } => {
                    due = None;
                    let published = control.subscribe().borrow().clone();
                    let from = first_not_started(&published.snapshot, published.show.segments.len());
                    link.look(&published.show, from);
                }
                changed = states.changed() => {
                    if changed.is_err() {
                        break;
                    }
                    let published = states.borrow_and_update().clone();
                    if published.snapshot.revision != revision {
                        revision = published.snapshot.revision;
                        if link.write_back()
                            && let Err(e) = link.save(&published.show, &published.segment_ids)
                        {
                            tracing::warn!("--write-back: {e}");
                        }
                    }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Changes, Command, Edit, Engine, ShowTime};

    /// Whole-line comments, and the comment part of lines that end in one.
    fn comments(text: &str) -> Vec<&str> {
        text.lines()
            .map(str::trim)
            .filter_map(|l| match l.find(" # ") {
                _ if l.starts_with('#') => Some(l),
                Some(at) => Some(&l[at..]),
                None => None,
            })
            .collect()
    }

    fn edited(show: &Show) -> Engine {
        let mut engine = Engine::new(show);
        let n = show.segments.len();
        let mut new = show.segments[0].clone();
        new.title = "Coffee — added live".into();
        new.kind = Kind::Break;
        new.speaker = None;
        new.notes = Some("Urn in the foyer".into());
        new.duration = Duration::from_secs(7 * 60);
        new.min = None;
        new.max = Some(Duration::from_secs(9 * 60));
        new.warn = Duration::from_secs(60);
        new.at = None;
        new.auto_start = false;
        let last = n - 1;
        let set = |segment, changes| Command::Edit(Edit::Set { segment, changes });
        let dur = show.segments[last].duration + Duration::from_secs(300);
        // Two neighbours without anchors swap places (their tables move, with their comments).
        let swap = (0..n.saturating_sub(2))
            .find(|&i| show.segments[i].at.is_none() && show.segments[i + 1].at.is_none())
            .map(|i| {
                Command::Edit(Edit::Move {
                    segment: i + 1,
                    to: i,
                })
            });
        for cmd in swap.into_iter().chain([
            set(
                last,
                Changes {
                    title: Some("Closing, renamed live".into()),
                    speaker: Some(Some("Ana Ruiz".into())),
                    duration: Some(dur),
                    max: Some(None),
                    ..Changes::default()
                },
            ),
            Command::Edit(Edit::Insert {
                at: n.min(1),
                segment: Box::new(new),
            }),
        ]) {
            engine
                .apply(cmd.clone(), ShowTime(0))
                .unwrap_or_else(|e| panic!("{}: {cmd:?}: {e}", show.path.display()));
        }
        engine
    }

    /// Issue 14: every bundled seed session takes an edited run-of-show back: its comments
    /// survive, untouched lines stay as they were, and the file loads back to the edited show.
    /// The event file (rooms, no segments of its own) is refused with a clear reason.
    #[test]
    fn every_seed_session_is_written_back_with_its_comments() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sessions");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).expect("sessions/") {
            let path = entry.expect("an entry").path();
            if path.extension().is_none_or(|e| e != "toml") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("readable");
            if podium_core::event::is_event(&text) {
                let show = crate::show::load_str(
                    Path::new("x.toml"),
                    "[[segment]]\ntitle = \"A\"\nduration = \"1m\"\n",
                )
                .expect("a show");
                let err = rewrite(&path, &text, &[0], &show, &[0]).unwrap_err();
                assert!(err.to_string().contains("no [[segment]] tables"), "{err}");
                continue;
            }
            seen += 1;
            let show = crate::show::load_file(&path).expect("a seed session loads");
            let ids: Vec<u32> = (0..show.segments.len() as u32).collect();
            // Nothing edited: not a byte changes (multi-line notes with line continuations
            // included).
            let same = rewrite(&path, &text, &ids, &show, &ids).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(same, text, "{}", path.display());
            let engine = edited(&show);
            let written = rewrite(&path, &text, &ids, engine.show(), engine.segment_ids())
                .unwrap_or_else(|e| panic!("{e}"));
            for comment in comments(&text) {
                assert!(
                    written.contains(comment),
                    "{}: lost the comment {comment:?}",
                    path.display()
                );
            }
            let back = crate::show::load_str(&path, &written).expect("loads back");
            assert_eq!(back.segments, engine.show().segments, "{}", path.display());
            assert_eq!(
                (back.title.as_str(), back.start, back.timezone),
                (show.title.as_str(), show.start, show.timezone)
            );
            // The top of the file, up to its last top-level key, is as it was.
            let top = |t: &str| {
                let first = t.find("[[segment]]").expect("segments");
                let keys = t[..first].rfind("\n\n").unwrap_or(first);
                t[..keys].to_owned()
            };
            let original = top(&text);
            let original = &original[..original.rfind("\n\n").map_or(original.len(), |i| i)];
            assert!(written.starts_with(original), "{}", path.display());
            assert!(written.contains("title = \"Coffee — added live\"\nkind = \"break\"\nduration = \"7m\"\nmax = \"9m\"\nwarn = \"1m\"\nnotes = \"Urn in the foyer\""), "{written}");
            // Written again with nothing edited: not a byte changes.
            let again = rewrite(
                &path,
                &written,
                engine.segment_ids(),
                engine.show(),
                engine.segment_ids(),
            )
            .expect("rewrites");
            assert_eq!(again, written);
        }
        assert!(seen >= 4, "the seed sessions were found: {seen}");
    }

    /// A save refuses a file changed on disk since it was loaded, and then writes nothing; a
    /// save of its own is not a change (the watcher sees the same hash).
    #[test]
    fn a_file_changed_on_disk_is_not_overwritten() {
        let dir = tempfile::tempdir().expect("a directory");
        let path = dir.path().join("s.toml");
        let text = "# the plan\ntitle = \"T\"\n\n[[segment]]\ntitle = \"A\"  # first\nduration = \"5m\"\n\n[[segment]]\ntitle = \"B\"\nduration = \"5m\"\n";
        std::fs::write(&path, text).expect("written");
        let show = crate::show::load_file(&path).expect("loads");
        let mut file = SessionFile::new(&path, content_hash(text.as_bytes()), 2);
        let mut engine = Engine::new(&show);
        engine
            .apply(
                Command::Edit(Edit::Set {
                    segment: 0,
                    changes: Changes {
                        title: Some("A, renamed".into()),
                        ..Changes::default()
                    },
                }),
                ShowTime(0),
            )
            .expect("edits");
        file.save(engine.show(), engine.segment_ids())
            .expect("saves");
        let saved = std::fs::read_to_string(&path).expect("readable");
        assert!(
            saved.starts_with("# the plan\n")
                && saved.contains("title = \"A, renamed\"  # first\n"),
            "{saved}"
        );
        assert!(
            matches!(file.changed(), OnDisk::Same),
            "its own write is no change"
        );
        let by_hand = saved.replace("\"B\"", "\"B, by hand\"");
        std::fs::write(&path, &by_hand).expect("written");
        assert!(matches!(file.changed(), OnDisk::Valid { .. }));
        let err = file.save(engine.show(), engine.segment_ids()).unwrap_err();
        assert!(matches!(err, WriteBackError::Changed { .. }), "{err}");
        assert!(err.to_string().contains("changed on disk"), "{err}");
        assert_eq!(std::fs::read_to_string(&path).expect("readable"), by_hand);
        // Half-written, deleted, huge: each a bounded, clear answer.
        std::fs::write(&path, "[[segment]]\ntitle = \"A\"\nduration = ").expect("written");
        let OnDisk::Invalid(why) = file.changed() else {
            panic!("invalid")
        };
        assert!(why.contains("s.toml:3:"), "{why}");
        std::fs::write(&path, vec![b'#'; MAX_FILE_BYTES as usize + 10]).expect("written");
        let OnDisk::Invalid(why) = file.changed() else {
            panic!("invalid")
        };
        assert!(why.contains("over 1024 KiB"), "{why}");
        std::fs::remove_file(&path).expect("removed");
        let OnDisk::Invalid(why) = file.changed() else {
            panic!("invalid")
        };
        assert!(why.contains("cannot read"), "{why}");
    }

    /// A named pipe put in the session file's place (no one writing to it) is refused at once:
    /// opening it used to block until a writer came, freezing the watcher, the file's lock and
    /// with them the run's pages. A directory is refused the same way.
    #[test]
    fn a_pipe_or_a_directory_in_the_files_place_is_refused_without_waiting() {
        let dir = tempfile::tempdir().unwrap();
        let pipe = dir.path().join("show.toml");
        let made = std::process::Command::new("mkfifo")
            .arg(&pipe)
            .status()
            .unwrap();
        assert!(made.success());
        for path in [pipe, dir.path().to_owned()] {
            let file = SessionFile::new(&path, String::new(), 1);
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let _ = tx.send(file.changed());
            });
            let answer = rx
                .recv_timeout(Duration::from_secs(5))
                .unwrap_or_else(|_| panic!("{}: no answer in 5 s", path.display()));
            let OnDisk::Invalid(why) = answer else {
                panic!("{}: {answer:?}", path.display())
            };
            assert!(why.contains("not a regular file"), "{why}");
        }
    }
}
