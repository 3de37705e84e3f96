//! The single task that owns the engine. Commands (from HTTP and the terminal), timer wake-ups and
//! shutdown come in; each change of state is serialized once and published on a `watch` channel
//! (latest state wins), and engine events go out on a broadcast channel for alerts.
//!
//! Every [`HEARTBEAT`] it also refreshes the stored state's clock without telling anyone, so a
//! viewer that connects gets a state of this second; subscribers are woken only when what a
//! screen shows has changed (see [`Controller::publish`]). Liveness is the sockets' business
//! (`server::ws`), not a republished state.
//!
//! It also keeps the journal: each change is recorded before it is published. When the disk
//! refuses (full), the show goes on: the state is published anyway, the lines wait in the
//! journal's queue and are retried on every change and every [`HEARTBEAT`], and the moderator hears
//! about it every [`JOURNAL_ALERT_EVERY`] ([`Handle::journal_notices`], [`Handle::journal_health`])
//! until the lines are written.
//!
//! **Invariant:** nothing else touches the engine, so there is exactly one writer and one
//! serialization point.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::Utf8Bytes;
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::alerts;
use crate::clock::Clock;
use crate::engine::{Command, Engine, Event, Refused, ShowTime, Snapshot};
use crate::journal::{self, Journal, JournalNotice, Line};
use crate::nats::lease::Gate;
use crate::protocol::{self, JournalHealth, ShowInfo};
use crate::show::Show;

/// The controller wakes at least this often, even when nothing changes: to refresh the stored
/// state's clock, to publish what moves with time (the schedule offset while paused or in
/// overtime), and to retry a refusing journal.
pub const HEARTBEAT: Duration = Duration::from_secs(1);

/// When the first heartbeat of controller `index` of `count` started together (an event's rooms)
/// falls: spread evenly over the [`HEARTBEAT`], in `(0, HEARTBEAT]`, so that the rooms' refreshes
/// (and, paused or in overtime, their broadcasts) do not all fire in the same millisecond. A lone
/// controller's is a whole `HEARTBEAT`, as before.
pub fn stagger(index: usize, count: usize) -> Duration {
    let count = count.max(1) as u128;
    let index = (index as u128 % count) + 1;
    Duration::from_nanos((HEARTBEAT.as_nanos() * index / count) as u64)
}

/// How long from `now` until the first heartbeat of controller `index` of `count`, the rooms of
/// an event being started one after another since `anchor` (each creates its journal first, which
/// takes a while): every room's heartbeat falls at `anchor` + [`stagger`] within the second,
/// however long each took to start. In `(0, HEARTBEAT]`: a lone controller started at `anchor`
/// waits a whole `HEARTBEAT`, as before.
pub fn first_heartbeat(index: usize, count: usize, anchor: Instant, now: Instant) -> Duration {
    let period = HEARTBEAT.as_nanos();
    let slot = stagger(index, count).as_nanos();
    let into = now.saturating_duration_since(anchor).as_nanos() % period;
    match (slot + period - into) % period {
        0 => HEARTBEAT,
        wait => Duration::from_nanos(wait as u64),
    }
}

/// A published state: the snapshot it was made from and its serialized form (the same bytes
/// for every client, wrapped once in the socket's text type).
#[derive(Debug)]
pub struct Published {
    pub seq: u64,
    pub snapshot: Snapshot,
    pub json: Utf8Bytes,
    /// The run-of-show as edited when this state was made (the same `Arc` until the next edit).
    pub show: Arc<Show>,
    /// Its segments' stable numbers (`Engine::segment_ids`), for writing it back to its file.
    pub segment_ids: Arc<[u32]>,
}

/// While the journal cannot be written, the moderator is told again this often.
pub const JOURNAL_ALERT_EVERY: Duration = Duration::from_secs(30);

enum Request {
    Command(Command, oneshot::Sender<Result<Arc<Published>, Refused>>),
    Fresh(oneshot::Sender<Arc<Published>>),
    ShowInfo(oneshot::Sender<ShowInfo>),
    /// A standby: the primary's journal, replayed (see [`Handle::follow`]).
    Follow(Box<Engine>),
    /// Becoming the primary (see [`Handle::promote`]).
    Promote(Box<Engine>, Box<Journal>, oneshot::Sender<()>),
    /// Sending the journal to NATS too (see [`Handle::replicate`]).
    Replicate(
        Box<crate::nats::journal::Replica>,
        usize,
        oneshot::Sender<()>,
    ),
    /// No longer the primary (see [`Handle::demote`]).
    Demote(oneshot::Sender<()>),
}

/// The controller has stopped (shutdown); nothing more can be asked of it.
#[derive(Debug, thiserror::Error)]
#[error("the session is shutting down")]
pub struct Stopped;

/// A cheap, cloneable way to talk to the controller and follow its state.
#[derive(Clone)]
pub struct Handle {
    tx: mpsc::Sender<Request>,
    state: watch::Receiver<Arc<Published>>,
    events: broadcast::Sender<Event>,
    show: Arc<Show>,
    clock: Clock,
    journal: Option<std::path::PathBuf>,
    file: Arc<std::sync::OnceLock<Arc<crate::session_file::Link>>>,
    journal_health: watch::Receiver<JournalHealth>,
    journal_notices: broadcast::Sender<JournalNotice>,
    gate: Gate,
}

impl Handle {
    /// Applies a command; `Ok(Err(_))` when the engine refused it.
    pub async fn command(&self, cmd: Command) -> Result<Result<Arc<Published>, Refused>, Stopped> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Request::Command(cmd, reply))
            .await
            .map_err(|_| Stopped)?;
        rx.await.map_err(|_| Stopped)
    }

    /// The state at this instant (not the last stored one's, up to a heartbeat old).
    pub async fn fresh(&self) -> Result<Arc<Published>, Stopped> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Request::Fresh(reply))
            .await
            .map_err(|_| Stopped)?;
        rx.await.map_err(|_| Stopped)
    }

    pub async fn show_info(&self) -> Result<ShowInfo, Stopped> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Request::ShowInfo(reply))
            .await
            .map_err(|_| Stopped)?;
        rx.await.map_err(|_| Stopped)
    }

    /// Follows published states: the latest one wins. `changed()` fires when what a screen shows
    /// changed; `borrow()` gives a state at most a [`HEARTBEAT`] old.
    pub fn subscribe(&self) -> watch::Receiver<Arc<Published>> {
        self.state.clone()
    }

    pub fn events(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// The run-of-show as loaded: its title, zone and start (which edits never change). For its
    /// segments, which edits do change, see [`Handle::current_show`].
    pub fn show(&self) -> &Arc<Show> {
        &self.show
    }

    /// The run-of-show as edited so far (that of the latest published state).
    pub fn current_show(&self) -> Arc<Show> {
        self.state.borrow().show.clone()
    }

    /// Links the room to its session file ("Save to file", `--write-back`, the file watched);
    /// once, at the start.
    pub fn attach_file(&self, link: Arc<crate::session_file::Link>) {
        let _ = self.file.set(link);
    }

    /// The room's session file, when it has one of its own.
    pub fn file(&self) -> Option<&Arc<crate::session_file::Link>> {
        self.file.get()
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Where this run is recorded, if it is.
    pub fn journal_path(&self) -> Option<&std::path::Path> {
        self.journal.as_deref()
    }

    /// Whether everything recorded so far is on disk, now.
    pub fn journal_health(&self) -> JournalHealth {
        self.journal_health.borrow().clone()
    }

    /// Journal trouble and recovery, as it happens.
    pub fn journal_notices(&self) -> broadcast::Receiver<JournalNotice> {
        self.journal_notices.subscribe()
    }

    /// Where news about the journal goes (its copy on NATS reports there too).
    pub fn journal_notice_sender(&self) -> broadcast::Sender<JournalNotice> {
        self.journal_notices.clone()
    }

    /// Whether this controller applies commands now (`--nats`: only the lease's holder does).
    pub fn gate(&self) -> &Gate {
        &self.gate
    }

    /// A standby follows the primary: `engine` is its journal replayed, published as is; this
    /// controller records nothing (the primary's journal is mirrored as it arrives).
    pub async fn follow(&self, engine: Engine) -> Result<(), Stopped> {
        self.tx
            .send(Request::Follow(Box::new(engine)))
            .await
            .map_err(|_| Stopped)
    }

    /// Takes over as the primary with `engine` (the mirrored journal replayed) and `journal`
    /// (that mirror, reopened, replicating); resolves once its lines are recorded and the state
    /// published. The caller opens the gate after.
    pub async fn promote(&self, engine: Engine, journal: Journal) -> Result<(), Stopped> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Request::Promote(Box::new(engine), Box::new(journal), reply))
            .await
            .map_err(|_| Stopped)?;
        rx.await.map_err(|_| Stopped)
    }

    /// Sends the journal's lines to NATS from number `already` on, and every line after.
    pub async fn replicate(
        &self,
        replica: crate::nats::journal::Replica,
        already: usize,
    ) -> Result<(), Stopped> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Request::Replicate(Box::new(replica), already, reply))
            .await
            .map_err(|_| Stopped)?;
        rx.await.map_err(|_| Stopped)
    }

    /// The lease is lost: stop sending lines to NATS at once and record nothing more (the new
    /// primary's journal will be followed). The caller closes the gate first.
    pub async fn demote(&self) -> Result<(), Stopped> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Request::Demote(reply))
            .await
            .map_err(|_| Stopped)?;
        rx.await.map_err(|_| Stopped)
    }
}

/// Everything the controller starts from: a fresh or replayed engine, and where to record.
pub struct Setup {
    pub show: Arc<Show>,
    pub clock: Clock,
    pub engine: Engine,
    pub journal: Option<Journal>,
    pub rehearsal: bool,
    /// How long after the start the first heartbeat comes: [`HEARTBEAT`] for a lone controller,
    /// [`first_heartbeat`] for each of several started together. Later ones follow every
    /// `HEARTBEAT` after the last publish.
    pub first_heartbeat: Duration,
}

struct Controller {
    engine: Engine,
    show: Arc<Show>,
    clock: Clock,
    rehearsal: bool,
    journal: Option<Journal>,
    /// Set while the journal cannot be written.
    trouble: Option<Trouble>,
    health: watch::Sender<JournalHealth>,
    notices: broadcast::Sender<JournalNotice>,
    seq: u64,
    state: watch::Sender<Arc<Published>>,
    events: broadcast::Sender<Event>,
    /// When the stored state is next refreshed: a [`HEARTBEAT`] after the last publish.
    next_heartbeat: Instant,
    gate: Gate,
}

/// A journal that cannot be written: since when, and when the moderator was last told.
struct Trouble {
    since_ms: i64,
    told: Option<Instant>,
}

/// Starts a controller for a fresh, unrecorded show; it ends when `shutdown` is cancelled.
pub fn spawn(
    show: Arc<Show>,
    clock: Clock,
    shutdown: CancellationToken,
) -> (Handle, tokio::task::JoinHandle<()>) {
    let engine =
        Engine::new(&show).with_target(clock.target_for(&show, false, clock.unix_ms(clock.now())));
    spawn_with(
        Setup {
            show,
            clock,
            engine,
            journal: None,
            rehearsal: false,
            first_heartbeat: HEARTBEAT,
        },
        shutdown,
    )
}

/// Starts the controller task; on shutdown it records the end of the run and stops.
pub fn spawn_with(
    setup: Setup,
    shutdown: CancellationToken,
) -> (Handle, tokio::task::JoinHandle<()>) {
    let Setup {
        show,
        clock,
        engine,
        journal,
        rehearsal,
        first_heartbeat,
    } = setup;
    // Auto-starts and the planned start, in this run's show time (issue 14).
    let engine = engine.with_schedule(
        clock.schedule(&show, rehearsal, clock.unix_ms(clock.now())),
        clock.now(),
    );
    let snapshot = engine.snapshot(clock.now());
    // A replayed engine may hold an edited run-of-show.
    let show = if engine.revision() == 0 {
        show
    } else {
        Arc::new(engine.show().clone())
    };
    let first = Arc::new(Published {
        seq: 1,
        json: protocol::state_json(&show, &clock, rehearsal, 1, &snapshot).into(),
        snapshot,
        show: show.clone(),
        segment_ids: Arc::from(engine.segment_ids()),
    });
    let (state, state_rx) = watch::channel(first);
    let (events, _) = broadcast::channel(64);
    let (tx, rx) = mpsc::channel(64);
    let path = journal.as_ref().map(|j| j.path().display().to_string());
    let (health, health_rx) = watch::channel(JournalHealth::ok(path));
    let (notices, _) = broadcast::channel(16);
    let gate = Gate::default();
    let handle = Handle {
        tx,
        state: state_rx,
        events: events.clone(),
        show: show.clone(),
        file: Arc::default(),
        clock,
        journal: journal.as_ref().map(|j| j.path().to_owned()),
        journal_health: health_rx,
        journal_notices: notices.clone(),
        gate: gate.clone(),
    };
    let controller = Controller {
        engine,
        show,
        clock,
        rehearsal,
        journal,
        trouble: None,
        health,
        notices,
        seq: 1,
        state,
        events,
        next_heartbeat: Instant::now() + first_heartbeat,
        gate,
    };
    let task = tokio::spawn(controller.run(rx, shutdown));
    (handle, task)
}

impl Controller {
    async fn run(mut self, mut rx: mpsc::Receiver<Request>, shutdown: CancellationToken) {
        // Lines queued before the start (a resume on a full disk) go now, or the alerts begin.
        self.flush_journal();
        loop {
            let now = self.clock.now();
            let heartbeat = self.next_heartbeat;
            let wake = match self.engine.next_change(now) {
                Some(at) => self.clock.instant_of(at).min(heartbeat),
                None => heartbeat,
            };
            tokio::select! {
                _ = shutdown.cancelled() => break,
                request = rx.recv() => match request {
                    Some(request) => self.handle(request).await,
                    None => break,
                },
                _ = tokio::time::sleep_until(wake) => {
                    let now = self.clock.now();
                    let events = self.engine.tick(now);
                    self.record(now, None, &events);
                    if self.trouble.is_some() {
                        self.flush_journal();
                    }
                    self.replicated().await;
                    self.publish(!events.is_empty(), self.engine.snapshot(now));
                    self.emit(events);
                }
            }
        }
        let now = self.clock.now();
        let wall = journal::wall(self.clock.unix_ms(now));
        self.write(&[Line::End { at_ms: now.0, wall }]);
        // A standby hears that the run ended (and does not take it over).
        self.replicated().await;
        if let Some(journal) = &self.journal
            && journal.pending() + journal.dropped() > 0
        {
            tracing::error!(
                "{} lines of this run could not be written to {} (the disk refused them): \
                 --resume and report will see the run only up to the last line written",
                journal.pending() + journal.dropped(),
                journal.path().display()
            );
        }
    }

    /// Records an applied command and its events; on disk before anything is published (or, on a
    /// refusing disk, queued in order and retried).
    fn record(&mut self, now: ShowTime, cmd: Option<&Command>, events: &[Event]) {
        if self.journal.is_none() || (cmd.is_none() && events.is_empty()) {
            return;
        }
        let wall = journal::wall(self.clock.unix_ms(now));
        // An auto-start is journaled as the commands it equals, at its own instant (before any
        // later command), so that --resume and report replay it (issue 14).
        let mut lines: Vec<Line> = events
            .iter()
            .flat_map(|e| match e {
                Event::AutoStarted { at, commands, .. } => {
                    let wall = journal::wall(self.clock.unix_ms(*at));
                    commands
                        .iter()
                        .map(|c| Line::command(*at, wall, c))
                        .collect()
                }
                _ => Vec::new(),
            })
            .collect();
        lines.extend(cmd.map(|c| Line::command(now, wall, c)));
        lines.extend(events.iter().map(|e| Line::event(now, wall, e)));
        self.write(&lines);
    }

    fn write(&mut self, lines: &[Line]) {
        let Some(journal) = &mut self.journal else {
            return;
        };
        journal.queue(lines);
        self.flush_journal();
    }

    /// Writes what waits; keeps the moderator told about trouble and recovery.
    fn flush_journal(&mut self) {
        let Some(journal) = &mut self.journal else {
            return;
        };
        let path = journal.path().display().to_string();
        let result = journal.flush();
        let (pending, dropped) = (journal.pending(), journal.dropped());
        match result {
            Ok(written) => {
                if self.trouble.take().is_some() {
                    let _ = self.notices.send(JournalNotice::Recovered {
                        path: path.clone(),
                        caught_up: written,
                    });
                }
                let health = JournalHealth {
                    ok: dropped == 0,
                    dropped,
                    ..JournalHealth::ok(Some(path))
                };
                self.health.send_if_modified(|h| {
                    let changed = *h != health;
                    *h = health;
                    changed
                });
            }
            Err(e) => {
                let now_ms = self.clock.unix_ms(self.clock.now());
                let trouble = self.trouble.get_or_insert(Trouble {
                    since_ms: now_ms,
                    told: None,
                });
                let error = match &e {
                    journal::JournalError::Io { source, .. } => source.to_string(),
                    other => other.to_string(),
                };
                let health = JournalHealth {
                    ok: false,
                    path: Some(path),
                    pending,
                    dropped,
                    failing_since_ms: Some(trouble.since_ms),
                    error: Some(error),
                };
                if trouble
                    .told
                    .is_none_or(|t| t.elapsed() >= JOURNAL_ALERT_EVERY)
                {
                    trouble.told = Some(Instant::now());
                    let _ = self.notices.send(JournalNotice::Failing(health.clone()));
                }
                self.health.send_replace(health);
            }
        }
    }

    /// Waits (bounded) until NATS has the journal's lines, when they go there.
    async fn replicated(&self) {
        if let Some(journal) = &self.journal {
            journal.replicated().await;
        }
    }

    async fn handle(&mut self, request: Request) {
        match request {
            Request::Command(cmd, reply) => {
                // Asked now, not when the command was sent: a process stopped (SIGSTOP) past its
                // lease refuses what was waiting for it.
                if let Err(why) = self.gate.check(Instant::now()) {
                    let _ = reply.send(Err(Refused(why)));
                    return;
                }
                let now = self.clock.now();
                // A preset is journaled as its text: a replay needs no presets (issue 14).
                let result = match self
                    .engine
                    .resolve(cmd)
                    .and_then(|cmd| Ok((self.engine.apply(cmd.clone(), now)?, cmd)))
                {
                    Ok((events, cmd)) => {
                        self.record(now, Some(&cmd), &events);
                        self.replicated().await;
                        let published = self.publish(true, self.engine.snapshot(now));
                        self.emit(events);
                        Ok(published)
                    }
                    Err(refused) => Err(refused),
                };
                let _ = reply.send(result);
            }
            Request::Follow(engine) => {
                self.engine = *engine;
                let now = self.clock.now();
                self.publish(true, self.engine.snapshot(now));
            }
            Request::Promote(engine, journal, reply) => {
                self.engine = *engine;
                self.journal = Some(*journal);
                self.flush_journal();
                self.replicated().await;
                let now = self.clock.now();
                self.publish(true, self.engine.snapshot(now));
                let _ = reply.send(());
            }
            Request::Replicate(replica, already, reply) => {
                if let Some(journal) = &mut self.journal {
                    journal.replicate(*replica, already);
                }
                self.replicated().await;
                let _ = reply.send(());
            }
            Request::Demote(reply) => {
                if let Some(mut journal) = self.journal.take() {
                    journal.stop_replicating();
                    // Whatever waits for the disk still goes there.
                    let _ = journal.flush();
                }
                self.trouble = None;
                let _ = reply.send(());
            }
            Request::Fresh(reply) => {
                let snapshot = self.engine.snapshot(self.clock.now());
                let json = protocol::state_json(
                    &self.show,
                    &self.clock,
                    self.rehearsal,
                    self.seq,
                    &snapshot,
                );
                let _ = reply.send(Arc::new(Published {
                    seq: self.seq,
                    snapshot,
                    json: json.into(),
                    show: self.show.clone(),
                    segment_ids: self.state.borrow().segment_ids.clone(),
                }));
            }
            Request::ShowInfo(reply) => {
                let _ = reply.send(protocol::show_info(
                    &self.show,
                    &self.clock,
                    self.engine.records(),
                    &self.engine.replan(self.clock.now()),
                    self.engine.last_fit().map(|event| protocol::FitSummary {
                        event,
                        summary: alerts::describe(&self.show, event)
                            .map(|a| format!("{} — {}", a.summary, a.body))
                            .unwrap_or_default(),
                    }),
                ));
            }
        }
    }

    /// Serializes once and stores the state; `changed` (a command, an engine event) bumps `seq`.
    /// Subscribers are woken for a change, and on a heartbeat only if a screen would show the
    /// new snapshot differently (same `seq`); otherwise the stored state is refreshed silently,
    /// so a viewer connecting later still gets this second's `server_time_ms`.
    fn publish(&mut self, changed: bool, snapshot: Snapshot) -> Arc<Published> {
        if changed {
            self.seq += 1;
        }
        // An edit (or a replayed engine with edits) changes the run-of-show every view shows.
        let segment_ids = if snapshot.revision != self.state.borrow().snapshot.revision {
            self.show = Arc::new(self.engine.show().clone());
            Arc::from(self.engine.segment_ids())
        } else {
            self.state.borrow().segment_ids.clone()
        };
        let json =
            protocol::state_json(&self.show, &self.clock, self.rehearsal, self.seq, &snapshot);
        let published = Arc::new(Published {
            seq: self.seq,
            snapshot,
            json: json.into(),
            show: self.show.clone(),
            segment_ids,
        });
        let fresh = published.clone();
        self.state.send_if_modified(|stored| {
            let notify = changed || shows_differently(&stored.snapshot, &fresh.snapshot);
            *stored = fresh;
            notify
        });
        self.next_heartbeat = Instant::now() + HEARTBEAT;
        published
    }

    fn emit(&self, events: Vec<Event>) {
        for event in events {
            // No subscriber (e.g. in tests) is fine: events are advisory.
            let _ = self.events.send(event);
        }
    }
}

/// Whether a screen would show `new` differently from `old`: anything but the instant, and,
/// while the segment runs, its remaining time (screens derive that from the deadline). What
/// moves with the clock while paused or in overtime (the schedule offset, the projected end,
/// the slack) does count.
fn shows_differently(old: &Snapshot, new: &Snapshot) -> bool {
    let running = old.deadline.is_some() && old.deadline == new.deadline;
    let same_clock = Snapshot {
        at: old.at,
        remaining_ms: if running {
            old.remaining_ms
        } else {
            new.remaining_ms
        },
        ..new.clone()
    };
    same_clock != *old
}

#[cfg(test)]
mod tests {
    use super::*;

    fn talk() -> Arc<Show> {
        Arc::new(
            crate::show::load_str(
                std::path::Path::new("t.toml"),
                "[[segment]]\ntitle = \"Talk\"\nduration = \"1h\"\n",
            )
            .expect("a valid show"),
        )
    }

    /// Issue 11: a heartbeat wakes viewers only when a screen would show something new. Ready
    /// and running (before overtime) nothing moves but the clock; paused, the schedule offset
    /// grows with it, so the moderator's figure must still reach the screens.
    #[test]
    fn only_what_a_screen_shows_wakes_the_viewers() {
        let t = |s: i64| ShowTime(s * 1000);
        let mut engine = Engine::new(&talk());
        let quiet = |e: &Engine, a, b| !shows_differently(&e.snapshot(t(a)), &e.snapshot(t(b)));
        assert!(quiet(&engine, 0, 1), "ready");
        engine.apply(Command::Start, t(5)).expect("starts");
        assert!(quiet(&engine, 6, 7), "running");
        assert!(quiet(&engine, 5, 3000), "running, an hour apart");
        engine.apply(Command::Pause, t(10)).expect("pauses");
        assert!(!quiet(&engine, 11, 12), "paused: the offset moves");
        let mut other = engine.clone();
        other
            .apply(Command::Message("hi".into()), t(12))
            .expect("a message");
        assert!(shows_differently(
            &engine.snapshot(t(12)),
            &other.snapshot(t(12))
        ));
    }

    /// Issue 12: an event's rooms start their controllers together; their heartbeats are spread
    /// over the second, each room in its own millisecond, and a lone controller keeps its cadence.
    #[test]
    fn staggered_heartbeats_spread_over_the_second() {
        let offsets: Vec<Duration> = (0..200).map(|i| stagger(i, 200)).collect();
        assert!(
            offsets
                .iter()
                .all(|d| *d > Duration::ZERO && *d <= HEARTBEAT)
        );
        let ms: std::collections::BTreeSet<u128> =
            offsets.iter().map(|d| d.as_millis() % 1000).collect();
        assert_eq!(
            ms.len(),
            200,
            "each room in its own millisecond: {offsets:?}"
        );
        assert_eq!(stagger(0, 1), HEARTBEAT);
        let t0 = Instant::now();
        assert_eq!(
            first_heartbeat(0, 1, t0, t0),
            HEARTBEAT,
            "a lone controller's cadence"
        );
        let late = t0 + Duration::from_millis(1300);
        assert_eq!(first_heartbeat(1, 4, t0, late), Duration::from_millis(200));
    }

    /// Issue 12: rooms whose controllers start in the same instant refresh their states (and,
    /// paused or in overtime, broadcast them) in different milliseconds of every second, not all
    /// at once. The clock follows tokio's paused time, so the phases are exact.
    #[tokio::test(start_paused = true)]
    async fn rooms_started_together_refresh_in_different_milliseconds() {
        let shutdown = CancellationToken::new();
        let rooms = 4;
        let anchor = Instant::now();
        let mut handles = Vec::new();
        for i in 0..rooms {
            let show = talk();
            let setup = Setup {
                engine: Engine::new(&show),
                show,
                clock: Clock::new(1.0),
                journal: None,
                rehearsal: false,
                first_heartbeat: first_heartbeat(i, rooms, anchor, Instant::now()),
            };
            handles.push(spawn_with(setup, shutdown.clone()).0);
            // Each room takes a while to start (its journal is created and synced first).
            tokio::time::sleep(Duration::from_millis(7)).await;
        }
        tokio::time::sleep(Duration::from_millis(3100)).await;
        // When each room last refreshed its state, within the second since `anchor`.
        let phases: Vec<u128> = handles
            .iter()
            .map(|h| {
                let at = h.clock().instant_of(h.subscribe().borrow().snapshot.at);
                at.saturating_duration_since(anchor).as_millis() % 1000
            })
            .collect();
        assert_eq!(phases, [250, 500, 750, 0]);
        shutdown.cancel();
    }

    /// A disk that refuses every write (`/dev/full`): the show goes on, and the moderator hears
    /// about it at once and again every 30 s, with the lines waiting counted.
    #[tokio::test(start_paused = true)]
    async fn a_refusing_disk_is_announced_again_and_again_and_the_show_goes_on() {
        let path = std::path::Path::new("/dev/full");
        let Ok(file) = std::fs::OpenOptions::new().write(true).open(path) else {
            println!("SKIPPED: no /dev/full here");
            return;
        };
        let show = Arc::new(
            crate::show::load_str(
                std::path::Path::new("t.toml"),
                "[[segment]]\ntitle = \"Talk\"\nduration = \"1h\"\n",
            )
            .expect("a valid show"),
        );
        let shutdown = CancellationToken::new();
        let (handle, _task) = spawn_with(
            Setup {
                engine: Engine::new(&show),
                show,
                clock: Clock::new(1.0),
                journal: Some(Journal::over(file, path, 0)),
                rehearsal: false,
                first_heartbeat: HEARTBEAT,
            },
            shutdown.clone(),
        );
        let mut notices = handle.journal_notices();
        let published = handle.command(Command::Start).await.expect("running");
        assert!(published.expect("applied").snapshot.phase.is_running());
        let JournalNotice::Failing(health) = notices.recv().await.expect("a notice") else {
            panic!("expected a failure");
        };
        assert!(!health.ok && health.pending >= 2, "{health:?}");
        assert!(
            health
                .error
                .as_deref()
                .is_some_and(|e| e.contains("No space")),
            "{health:?}"
        );
        assert_eq!(handle.journal_health(), health);
        let told = Instant::now();
        let JournalNotice::Failing(again) = notices.recv().await.expect("a notice") else {
            panic!("expected a failure");
        };
        // Exact: the clock follows tokio's paused time.
        assert_eq!(told.elapsed(), JOURNAL_ALERT_EVERY);
        assert_eq!(again.failing_since_ms, health.failing_since_ms);
        shutdown.cancel();
    }
}
