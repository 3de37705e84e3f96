//! The primary and the standby of a show over NATS (issue 13). [`Link::open`] decides, before
//! the rooms start, what this process is: the primary (it holds the event's lease) or a standby
//! (someone else does, or `--standby`), which then follows every room's journal into a local
//! [`Mirror`] and starts its rooms from them, replayed as `--resume` does. [`Link::spawn`] then
//! drives the lease for the whole run: the primary renews it and sends its journals to JetStream;
//! a standby follows, and when the lease lapses (or `podium takeover` released it) it takes the
//! lease, catches up with the stream, and promotes its rooms — same tokens, same clock, same
//! deadlines, since the journal holds them — and its own server goes on serving its viewers. A
//! primary that loses the lease closes its rooms' [`Gate`]s at once and follows the new one.
//!
//! **Invariant:** a room's gate is open only while this process holds the lease (see
//! [`super::lease`]); it opens only after the room was promoted from the whole replicated journal.

mod follow;
mod takeover;

pub use takeover::release;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, consumer, kv, stream};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::journal::{Mirror, Replica};
use super::lease::{self, Gate, Holding, LeaseError, Renewal, Role, Verdict, Watcher};
use super::{NatsError, subjects};
use crate::controller::Handle;
use crate::exit::{Exit, Status};
use crate::journal::{JournalError, Recorded};
use crate::show::Show;
use crate::term;

/// What `--nats` with a lease needs.
#[derive(Debug, Clone)]
pub struct Options {
    pub url: String,
    pub event: String,
    /// `--standby`: never take the lease at the start, only when it lapses.
    pub standby: bool,
    /// `--lease`.
    pub lease: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum StandbyError {
    #[error(transparent)]
    Nats(#[from] NatsError),
    #[error(transparent)]
    Lease(#[from] LeaseError),
    #[error("{}: cannot write the copy of the primary's journal: {source}", path.display())]
    Mirror {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the primary's journal of room {room}: {source}")]
    Journal {
        room: String,
        #[source]
        source: JournalError,
    },
    #[error("{0}")]
    Takeover(String),
    #[error(
        "the primary started a new run of room {0} (another clock and token): this standby \
         stops; start it again to follow the new run"
    )]
    NewRun(String),
}

impl Exit for StandbyError {
    fn exit_status(&self) -> Status {
        match self {
            StandbyError::Journal { source, .. } if source.is_input() => Status::Input,
            StandbyError::Takeover(_) => Status::Input,
            _ => Status::Failure,
        }
    }
}

/// A room as the link needs it: its show (to check the primary's journal against) and where a
/// standby keeps its copy of the primary's journal.
pub struct RoomSpec {
    pub id: String,
    pub show: Arc<Show>,
    pub hash: String,
    pub mirror: PathBuf,
}

struct RoomLink {
    id: String,
    show: Arc<Show>,
    hash: String,
    subject: String,
    mirror: Mirror,
}

/// What this process is right now.
enum Part {
    Primary(Holding),
    Standby(Watcher),
}

/// The connection to NATS of one run, and its part in it.
pub struct Link {
    client: async_nats::Client,
    stream: stream::Stream,
    store: kv::Store,
    options: Options,
    me: String,
    part: Part,
    rooms: Vec<RoomLink>,
    messages: Option<consumer::push::Ordered>,
    /// How many times this process followed a new primary (names new mirrors).
    generation: u32,
    /// The server's rooms, for the origin's publishing and responders.
    registry: Option<crate::server::Rooms>,
    /// The origin (states, last values, responders) while this process is the primary.
    origin: Option<super::origin::Origin>,
    /// The primary a standby last saw renewing the lease, and its epoch.
    primary: Option<(String, u64)>,
}

impl Link {
    /// Connects, decides the part, and for a standby waits until the primary's journal of every
    /// room has arrived (its header at least).
    pub async fn open(options: Options, rooms: Vec<RoomSpec>) -> Result<Link, StandbyError> {
        let client = super::connect(&options.url, "podium run", true).await?;
        let js = jetstream::new(client.clone());
        let stream = super::journal::stream(&js).await?;
        let store = lease::bucket(&js).await?;
        let me = lease::me();
        let rooms = rooms
            .into_iter()
            .map(|r| RoomLink {
                subject: subjects::journal(&options.event, &r.id),
                mirror: Mirror::new(&r.mirror),
                id: r.id,
                show: r.show,
                hash: r.hash,
            })
            .collect();
        let mut link = Link {
            client,
            stream,
            store,
            me,
            part: Part::Standby(Watcher::new("", options.lease)),
            rooms,
            messages: None,
            generation: 0,
            registry: None,
            origin: None,
            primary: None,
            options,
        };
        link.part = link.decide().await?;
        if let Part::Standby(_) = link.part {
            link.await_primary().await?;
            link.start_following().await?;
        }
        Ok(link)
    }

    /// Whether this process starts as the primary.
    pub fn is_primary(&self) -> bool {
        matches!(self.part, Part::Primary(_))
    }

    /// A standby's copy of room `id`'s journal, read back for the room to start from.
    pub fn followed(&self, id: &str) -> Option<Result<Recorded, StandbyError>> {
        if self.is_primary() {
            return None;
        }
        let room = self.rooms.iter().find(|r| r.id == id)?;
        Some(room.recorded())
    }

    /// The primary at the start holds the lease: free (never taken), or not renewed for a whole
    /// lease while we watch. A live lease, or `--standby`, makes a standby.
    async fn decide(&mut self) -> Result<Part, StandbyError> {
        let mut watcher = Watcher::new(&self.me, self.options.lease);
        if self.options.standby {
            return Ok(Part::Standby(watcher));
        }
        let event = self.options.event.clone();
        let mut first: Option<u64> = None;
        loop {
            let asked = Instant::now();
            let entry = lease::read(&self.store, &event).await?;
            if let (Some(first), Some(entry)) = (first, &entry)
                && entry.revision != first
            {
                term::say(format_args!(
                    "podium: {} holds the lease of {event} (epoch {}) and renews it: starting as \
                     a standby",
                    term::printable(&entry.lease.holder),
                    entry.lease.epoch
                ));
                return Ok(Part::Standby(watcher));
            }
            match watcher.judge_read(entry.as_ref(), asked, Instant::now(), now_ms()) {
                Verdict::Take { revision, lease } => {
                    match lease::take(&self.store, &event, revision, lease).await? {
                        Some(holding) => return Ok(Part::Primary(holding)),
                        None => return Ok(Part::Standby(watcher)),
                    }
                }
                Verdict::Follow { primary, epoch } => {
                    if first.is_none() {
                        term::say(format_args!(
                            "podium: the lease of {event} names {} (epoch {epoch}); waiting {:?} \
                             to see whether it is renewed",
                            term::printable(&primary),
                            self.options.lease
                        ));
                        first = entry.as_ref().map(|e| e.revision);
                    }
                }
            }
            tokio::time::sleep(lease::WATCH_EVERY).await;
        }
    }

    /// Drives the lease and the journals until `shutdown`; `handles` are the rooms'
    /// controllers, in the order of the rooms given to [`Link::open`]. A primary's journals are
    /// replicating and its rooms' gates open when this returns (call it before the server takes
    /// commands); a standby's gates are shut.
    pub async fn start(
        mut self,
        handles: Vec<Handle>,
        registry: crate::server::Rooms,
        shutdown: CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        self.registry = Some(registry);
        // Shut until the lease says otherwise: no command before the journal is replicated.
        let (primary, epoch) = self
            .primary
            .clone()
            .map_or((None, 0), |(p, e)| (Some(p), e));
        for handle in &handles {
            handle.gate().set(Role::Standby {
                primary: primary.clone(),
                epoch,
            });
        }
        if let Part::Primary(holding) = &self.part {
            let holding = holding.clone();
            self.begin_primary(&holding, &handles).await;
        }
        tokio::spawn(async move {
            if let Err(e) = self.drive(handles, shutdown.clone()).await {
                tracing::error!("NATS: {e}");
                if matches!(e, StandbyError::NewRun(_)) {
                    shutdown.cancel();
                }
            }
        })
    }

    async fn drive(
        mut self,
        handles: Vec<Handle>,
        shutdown: CancellationToken,
    ) -> Result<(), StandbyError> {
        let gates: Vec<Gate> = handles.iter().map(|h| h.gate().clone()).collect();
        let result = self.alternate(&handles, &gates, &shutdown).await;
        if let Some(origin) = self.origin.take() {
            origin.stop().await;
        }
        result
    }

    /// A primary from the start: the stream gets its journals as they are (a fresh run replaces
    /// what the stream held of the rooms; a resumed one sends all again), then the gates open.
    async fn begin_primary(&mut self, holding: &Holding, handles: &[Handle]) {
        for (room, handle) in self.rooms.iter().zip(handles) {
            // Not fatal: a standby starts again at the new run's header anyway.
            if let Err(e) = super::journal::purge(&self.stream, &room.subject).await {
                tracing::warn!("{e}");
            }
            let replica = Replica::start(
                self.client.clone(),
                room.subject.clone(),
                sender_id(
                    &room.subject,
                    handle.clock().unix_at_zero_ms(),
                    holding.lease.epoch,
                ),
                0,
                handle.journal_notice_sender(),
            );
            let _ = handle.replicate(replica, 0).await;
        }
        let gates: Vec<Gate> = handles.iter().map(|h| h.gate().clone()).collect();
        open(&gates, holding, self.options.lease);
        let epoch = holding.lease.epoch;
        self.start_origin(epoch).await;
        term::say(format_args!(
            "podium: primary of {} (lease epoch {epoch})",
            self.options.event
        ));
    }

    /// Primary and standby in turn, until shutdown.
    async fn alternate(
        &mut self,
        handles: &[Handle],
        gates: &[Gate],
        shutdown: &CancellationToken,
    ) -> Result<(), StandbyError> {
        loop {
            let part = std::mem::replace(
                &mut self.part,
                Part::Standby(Watcher::new("", Duration::ZERO)),
            );
            self.part = match part {
                Part::Primary(holding) => {
                    match self.lead(holding, handles, gates, shutdown).await? {
                        Some(next) => next,
                        None => return Ok(()),
                    }
                }
                Part::Standby(watcher) => {
                    match self.follow(watcher, handles, gates, shutdown).await? {
                        Some(next) => next,
                        None => return Ok(()),
                    }
                }
            };
        }
    }

    /// The primary: renews every [`lease::renew_every`]; `None` at shutdown, a standby's part
    /// once the lease is lost.
    async fn lead(
        &mut self,
        mut holding: Holding,
        handles: &[Handle],
        gates: &[Gate],
        shutdown: &CancellationToken,
    ) -> Result<Option<Part>, StandbyError> {
        let event = self.options.event.clone();
        let lease_len = self.options.lease;
        let mut next = holding.sent + lease::renew_every(lease_len);
        let mut unsure_since: Option<Instant> = None;
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return Ok(None),
                _ = tokio::time::sleep_until(next) => {}
            }
            match lease::renew(&self.store, &event, &holding, lease_len / 3).await {
                Renewal::Renewed(renewed) => {
                    holding = renewed;
                    open(gates, &holding, lease_len);
                    if unsure_since.take().is_some() {
                        term::say(format_args!(
                            "podium: lease of {event} renewed again: commands are accepted"
                        ));
                    }
                    next = holding.sent + lease::renew_every(lease_len);
                }
                Renewal::Unsure(why) => {
                    if unsure_since.is_none() {
                        unsure_since = Some(Instant::now());
                        tracing::warn!(
                            "cannot renew the lease of {event} ({why}): commands are refused from \
                             {:?} after the last renewal until it is renewed",
                            lease_len * 2 / 3
                        );
                    }
                    next = Instant::now() + lease::WATCH_EVERY;
                }
                Renewal::Lost(now) => {
                    let (holder, epoch) = now
                        .as_ref()
                        .map(|e| (e.lease.holder.clone(), e.lease.epoch))
                        .unwrap_or_default();
                    for gate in gates {
                        gate.set(Role::Standby {
                            primary: Some(holder.clone()).filter(|h| !h.is_empty()),
                            epoch,
                        });
                    }
                    if let Some(origin) = self.origin.take() {
                        origin.stop().await;
                    }
                    for handle in handles {
                        let _ = handle.demote().await;
                    }
                    let whom = if holder.is_empty() {
                        "the lease was released (podium takeover)".to_owned()
                    } else {
                        format!("{} holds it now (epoch {epoch})", term::printable(&holder))
                    };
                    term::say(format_args!(
                        "podium: no longer the primary of {event}: {whom}; standby now, commands \
                         refused"
                    ));
                    while let Err(e) = self.start_following().await {
                        tracing::warn!("{e}; trying again");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                    // Yields to the other standbys: takes over only if none does.
                    return Ok(Some(Part::Standby(Watcher::new(&self.me, lease_len * 2))));
                }
            }
        }
    }

    /// A standby: follows the journals and watches the lease; `None` at shutdown, the
    /// primary's part once it took over.
    async fn follow(
        &mut self,
        mut watcher: Watcher,
        handles: &[Handle],
        gates: &[Gate],
        shutdown: &CancellationToken,
    ) -> Result<Option<Part>, StandbyError> {
        let event = self.options.event.clone();
        let mut told: Option<(String, u64)> = None;
        let mut ended_told = false;
        let mut tick = tokio::time::interval(lease::WATCH_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return Ok(None),
                changed = self.next_line() => {
                    if let Some(index) = changed? {
                        let room = &self.rooms[index];
                        let recorded = room.recorded()?;
                        // Another run (a primary started afresh): its clock and tokens are not
                        // this process's.
                        if recorded.header.unix_at_zero_ms
                            != handles[index].clock().unix_at_zero_ms()
                        {
                            return Err(StandbyError::NewRun(room.id.clone()));
                        }
                        let engine = recorded.replay(&room.show);
                        let _ = handles[index].follow(engine).await;
                    }
                }
                _ = tick.tick() => {
                    let asked = Instant::now();
                    let entry = match lease::read(&self.store, &event).await {
                        Ok(entry) => entry,
                        Err(e) => {
                            tracing::debug!("{e}");
                            watcher.forget();
                            continue;
                        }
                    };
                    match watcher.judge_read(entry.as_ref(), asked, Instant::now(), now_ms()) {
                        Verdict::Follow { primary, epoch } => {
                            if told.as_ref() != Some(&(primary.clone(), epoch)) {
                                for gate in gates {
                                    gate.set(Role::Standby {
                                        primary: Some(primary.clone()).filter(|p| !p.is_empty()),
                                        epoch,
                                    });
                                }
                                term::say(format_args!(
                                    "podium: standby of {event}; the primary is {} (epoch {epoch})",
                                    term::printable(if primary.is_empty() { "nobody" } else { &primary })
                                ));
                                told = Some((primary, epoch));
                            }
                        }
                        // A run its primary ended (quit, Ctrl-C: an `end` line in every
                        // room) is over, not orphaned: nothing to take over.
                        Verdict::Take { .. } if self.rooms.iter().all(RoomLink::ended) => {
                            if !ended_told {
                                ended_told = true;
                                term::say(format_args!(
                                    "podium: the primary ended the run of {event}: not taking \
                                     over (start a new run, or --resume, to go on)"
                                ));
                            }
                        }
                        Verdict::Take { revision, lease } => {
                            // A NATS hiccup is no reason to stop following: judged again soon.
                            let taken = lease::take(&self.store, &event, revision, lease)
                                .await
                                .unwrap_or_else(|e| {
                                    tracing::warn!("{e}");
                                    None
                                });
                            if let Some(holding) = taken {
                                self.promote(&holding, handles).await?;
                                open(gates, &holding, self.options.lease);
                                self.start_origin(holding.lease.epoch).await;
                                term::say(format_args!(
                                    "podium: took over as the primary of {event} (lease epoch {})",
                                    holding.lease.epoch
                                ));
                                return Ok(Some(Part::Primary(holding)));
                            }
                        }
                    }
                }
            }
        }
    }

    /// Publishes the rooms' states and answers relays, with `epoch` on every state.
    async fn start_origin(&mut self, epoch: u64) {
        let Some(registry) = &self.registry else {
            return;
        };
        match super::origin::Origin::start(
            self.client.clone(),
            &self.options.event,
            registry,
            epoch,
        )
        .await
        {
            Ok(origin) => self.origin = Some(origin),
            Err(e) => tracing::error!("cannot publish to NATS: {e}"),
        }
    }
}

/// Opens every room's gate for the holder of `holding`.
fn open(gates: &[Gate], holding: &Holding, lease: Duration) {
    for gate in gates {
        gate.set(Role::Primary {
            epoch: holding.lease.epoch,
            until: holding.valid_until(lease),
        });
    }
}

/// Names the lines one holder of the lease sends of a room's run, for JetStream's
/// deduplication (per stream, not per subject): the subject, the run's clock origin, the epoch.
fn sender_id(subject: &str, unix_at_zero_ms: f64, epoch: u64) -> String {
    format!("{subject}:{}:{epoch}", unix_at_zero_ms as i64)
}

fn now_ms() -> i64 {
    crate::clock::unix_now_ms() as i64
}
