//! The single task that owns the engine. Commands (from HTTP and the terminal), timer wake-ups and
//! shutdown come in; each change of state is serialized once and published on a `watch` channel
//! (latest state wins), and engine events go out on a broadcast channel for alerts.
//!
//! **Invariant:** nothing else touches the engine, so there is exactly one writer and one
//! serialization point.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::engine::{Command, Engine, Event, Refused, ShowTime, Snapshot};
use crate::journal::{self, Journal, Line};
use crate::protocol::{self, Published, ShowInfo};
use crate::show::Show;

/// Clients hear from the server at least this often, even when nothing changes.
pub const HEARTBEAT: Duration = Duration::from_secs(1);

enum Request {
    Command(Command, oneshot::Sender<Result<Arc<Published>, Refused>>),
    Fresh(oneshot::Sender<Arc<Published>>),
    ShowInfo(oneshot::Sender<ShowInfo>),
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

    /// The state at this instant (not the last heartbeat's).
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

    /// Follows published states: the latest one wins.
    pub fn subscribe(&self) -> watch::Receiver<Arc<Published>> {
        self.state.clone()
    }

    pub fn events(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    pub fn show(&self) -> &Arc<Show> {
        &self.show
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Where this run is recorded, if it is.
    pub fn journal_path(&self) -> Option<&std::path::Path> {
        self.journal.as_deref()
    }
}

/// Everything the controller starts from: a fresh or replayed engine, and where to record.
pub struct Setup {
    pub show: Arc<Show>,
    pub clock: Clock,
    pub engine: Engine,
    pub journal: Option<Journal>,
    pub rehearsal: bool,
}

struct Controller {
    engine: Engine,
    show: Arc<Show>,
    clock: Clock,
    rehearsal: bool,
    journal: Option<Journal>,
    journal_failed: bool,
    seq: u64,
    state: watch::Sender<Arc<Published>>,
    events: broadcast::Sender<Event>,
    last_publish: Instant,
}

/// Starts a controller for a fresh, unrecorded show; it ends when `shutdown` is cancelled.
pub fn spawn(
    show: Arc<Show>,
    clock: Clock,
    shutdown: CancellationToken,
) -> (Handle, tokio::task::JoinHandle<()>) {
    let engine = Engine::new(&show).with_target(clock.target_for(&show, false));
    spawn_with(
        Setup {
            show,
            clock,
            engine,
            journal: None,
            rehearsal: false,
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
    } = setup;
    let snapshot = engine.snapshot(clock.now());
    let first = Arc::new(Published {
        seq: 1,
        json: protocol::state_json(&show, &clock, rehearsal, 1, &snapshot),
        snapshot,
    });
    let (state, state_rx) = watch::channel(first);
    let (events, _) = broadcast::channel(64);
    let (tx, rx) = mpsc::channel(64);
    let handle = Handle {
        tx,
        state: state_rx,
        events: events.clone(),
        show: show.clone(),
        clock,
        journal: journal.as_ref().map(|j| j.path().to_owned()),
    };
    let controller = Controller {
        engine,
        show,
        clock,
        rehearsal,
        journal,
        journal_failed: false,
        seq: 1,
        state,
        events,
        last_publish: Instant::now(),
    };
    let task = tokio::spawn(controller.run(rx, shutdown));
    (handle, task)
}

impl Controller {
    async fn run(mut self, mut rx: mpsc::Receiver<Request>, shutdown: CancellationToken) {
        loop {
            let now = self.clock.now();
            let heartbeat = self.last_publish + HEARTBEAT;
            let wake = match self.engine.next_change(now) {
                Some(at) => Instant::from_std(self.clock.instant_of(at)).min(heartbeat),
                None => heartbeat,
            };
            tokio::select! {
                _ = shutdown.cancelled() => break,
                request = rx.recv() => match request {
                    Some(request) => self.handle(request),
                    None => break,
                },
                _ = tokio::time::sleep_until(wake) => {
                    let now = self.clock.now();
                    let events = self.engine.tick(now);
                    self.record(now, None, &events);
                    self.publish(!events.is_empty(), self.engine.snapshot(now));
                    self.emit(events);
                }
            }
        }
        let now = self.clock.now();
        let wall = journal::wall(self.clock.unix_ms(now));
        self.write(&[Line::End { at_ms: now.0, wall }]);
    }

    /// Records an applied command and its events; on disk before anything is published.
    fn record(&mut self, now: ShowTime, cmd: Option<&Command>, events: &[Event]) {
        if self.journal.is_none() || (cmd.is_none() && events.is_empty()) {
            return;
        }
        let wall = journal::wall(self.clock.unix_ms(now));
        let mut lines: Vec<Line> = cmd
            .map(|c| Line::command(now, wall, c))
            .into_iter()
            .collect();
        lines.extend(events.iter().map(|e| Line::event(now, wall, e)));
        self.write(&lines);
    }

    fn write(&mut self, lines: &[Line]) {
        let Some(journal) = &mut self.journal else {
            return;
        };
        match journal.write(lines) {
            Ok(()) => self.journal_failed = false,
            // The show goes on; say so once per run of failures.
            Err(e) if !self.journal_failed => {
                self.journal_failed = true;
                tracing::error!("cannot record the run: {e}");
            }
            Err(_) => {}
        }
    }

    fn handle(&mut self, request: Request) {
        match request {
            Request::Command(cmd, reply) => {
                let now = self.clock.now();
                let result = self.engine.apply(cmd.clone(), now).map(|events| {
                    self.record(now, Some(&cmd), &events);
                    let published = self.publish(true, self.engine.snapshot(now));
                    self.emit(events);
                    published
                });
                let _ = reply.send(result);
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
                    json,
                }));
            }
            Request::ShowInfo(reply) => {
                let _ = reply.send(protocol::show_info(
                    &self.show,
                    &self.clock,
                    self.engine.records(),
                    &self.engine.replan(self.clock.now()),
                    self.engine.last_fit(),
                ));
            }
        }
    }

    /// Serializes once and publishes; `changed` bumps `seq` (a heartbeat keeps it).
    fn publish(&mut self, changed: bool, snapshot: Snapshot) -> Arc<Published> {
        if changed {
            self.seq += 1;
        }
        let json =
            protocol::state_json(&self.show, &self.clock, self.rehearsal, self.seq, &snapshot);
        let published = Arc::new(Published {
            seq: self.seq,
            snapshot,
            json,
        });
        self.state.send_replace(published.clone());
        self.last_publish = Instant::now();
        published
    }

    fn emit(&self, events: Vec<Event>) {
        for event in events {
            // No subscriber (e.g. in tests) is fine: events are advisory.
            let _ = self.events.send(event);
        }
    }
}
