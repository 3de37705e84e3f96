//! One live run of a show: opening or resuming its journal, binding the listener, then wiring the
//! controller, server, alerts and the moderator's terminal until Ctrl-C, SIGTERM or quit, and
//! printing the report. It starts from a validated [`RunConfig`] and checks no argument itself;
//! what can still fail here is the machine's (a port in use, a disk), and [`RunError`] says so.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::config::{Begin, JournalPlace, RoomRun, RunConfig, RunDir};
use crate::engine::Engine;
use crate::exit::{Exit, Status};
use crate::journal::{self, Header, Journal, JournalError, Line, Recorded};
use crate::report::Report;
use crate::server::{self, Token};
use crate::session_file;
use crate::show;
use crate::{alerts, console, controller, term};

/// Why a validated run could not start or go on.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Nats(#[from] crate::nats::standby::StandbyError),
}

impl Exit for RunError {
    fn exit_status(&self) -> Status {
        match self {
            RunError::Journal(j) => j.exit_status(),
            RunError::Io { .. } => Status::Failure,
            RunError::Nats(e) => e.exit_status(),
        }
    }
}

/// What a room starts from: a new journal, or a replayed one (a standby's: none of its own).
struct Start {
    clock: Clock,
    engine: Engine,
    journal: Option<Journal>,
    token: Token,
    rehearsal: bool,
}

/// A standby's room: the primary's journal as followed so far, replayed as `--resume` does (same
/// clock, token and deadlines); nothing is recorded here until it takes over.
fn start_following(show: &show::Show, recorded: &Recorded) -> Start {
    let header = &recorded.header;
    Start {
        clock: Clock::resume(header.speed, header.unix_at_zero_ms),
        engine: recorded.replay(show),
        journal: None,
        token: Token::new(header.token.as_str()),
        rehearsal: header.rehearsal,
    }
}

/// Where a standby keeps its copy of each room's journal: where the room's own journal would go
/// (`-followed` added to the name of a journal it resumes).
fn mirrors(config: &RunConfig, run: Option<&Path>) -> Vec<crate::nats::standby::RoomSpec> {
    let started = journal::wall(Clock::new(1.0).unix_at_zero_ms() as i64);
    config
        .rooms
        .iter()
        .map(|room| {
            let mirror = match &room.begin {
                Begin::Fresh { journal: place, .. } => match (place, run) {
                    (JournalPlace::Given(path), _) => path.clone(),
                    (JournalPlace::Default(dir), _) => {
                        journal::default_path(dir, &room.file, started)
                    }
                    (JournalPlace::InRun, Some(run)) => journal::room_journal(run, &room.id),
                    (JournalPlace::InRun, None) => PathBuf::from(format!("{}.jsonl", room.id)),
                },
                Begin::Resume { recorded, .. } => recorded.path.with_extension("followed.jsonl"),
            };
            crate::nats::standby::RoomSpec {
                id: room.id.clone(),
                show: room.show.clone(),
                hash: room.hash.clone(),
                mirror,
            }
        })
        .collect()
}

/// Where a new journal of `room` goes: as given, named after the show, or `<room>.jsonl` in the
/// run's directory `run`.
fn start_fresh(
    room: &RoomRun,
    fresh: (&Token, f64, bool, &JournalPlace),
    run: Option<&Path>,
    organiser: Option<&Token>,
) -> Result<Start, RunError> {
    let (token, speed, rehearsal, place) = fresh;
    let show = &*room.show;
    let clock = Clock::new(speed);
    let target = clock.target_for(show, rehearsal, clock.unix_ms(clock.now()));
    let mut header = Header::new(
        show,
        room.hash.clone(),
        speed,
        rehearsal,
        token.expose(),
        clock.unix_at_zero_ms(),
    )
    .with_target(target);
    if let Some(organiser) = organiser {
        header = header.in_room(&room.id, organiser.expose());
    }
    let journal = match (place, run) {
        (JournalPlace::Given(path), _) => Journal::create(path, &header)?,
        (JournalPlace::Default(dir), _) => Journal::create_unique(
            &journal::default_path(
                dir,
                &room.file,
                journal::wall(clock.unix_at_zero_ms() as i64),
            ),
            &header,
        )?,
        (JournalPlace::InRun, Some(run)) => {
            Journal::create(&journal::room_journal(run, &room.id), &header)?
        }
        (JournalPlace::InRun, None) => {
            return Err(RunError::Io {
                context: format!("room {}: no run directory", room.id),
                source: std::io::Error::other("a room's journal needs the run's directory"),
            });
        }
    };
    Ok(Start {
        clock,
        engine: Engine::new(show).with_target(target),
        journal: Some(journal),
        token: token.clone(),
        rehearsal,
    })
}

/// Resumes the run `recorded` (read and checked against the show by the config).
fn start_resumed(
    show: &show::Show,
    recorded: &Recorded,
    why: Option<&str>,
    quiet: bool,
) -> Result<Start, RunError> {
    let header = &recorded.header;
    let clock = Clock::resume(header.speed, header.unix_at_zero_ms);
    let engine = recorded.replay(show);
    let mut journal = Journal::reopen(recorded)?;
    let now = clock.now();
    // Queued, not written: on a full disk the show resumes anyway and the controller retries
    // and alerts (a resume is not a new journal, so there is nothing to leave behind).
    journal.queue(&[Line::Resume {
        at_ms: now.0,
        wall: journal::wall(clock.unix_ms(now)),
    }]);
    match why {
        Some(why) => crate::term::say(format_args!("podium: {}", crate::term::printable(why))),
        None if !quiet => crate::term::say(format_args!(
            "podium: resuming {}",
            crate::term::printable(&recorded.path.display().to_string())
        )),
        None => {}
    }
    Ok(Start {
        clock,
        engine,
        journal: Some(journal),
        token: Token::new(header.token.as_str()),
        rehearsal: header.rehearsal,
    })
}

/// A room, started: its controller and what the run prints about it.
struct Running {
    id: String,
    name: String,
    control: controller::Handle,
    task: tokio::task::JoinHandle<()>,
    token: Token,
    journal_path: PathBuf,
}

/// Runs the show (every room of an event) until Ctrl-C, SIGTERM or the moderator quits.
pub async fn run(config: RunConfig) -> Result<(), RunError> {
    for warning in &config.warnings {
        tracing::warn!("{warning}");
    }
    raise_fd_limit(config.limits.max_connections);
    // Bind before touching the journal: a run that cannot start must leave nothing for a later
    // `--resume` to pick up.
    let listener = listen(config.bind).map_err(|source| RunError::Io {
        context: format!(
            "cannot listen on {} (in use? try another --bind)",
            config.bind
        ),
        source,
    })?;
    let addr = listener.local_addr().map_err(|source| RunError::Io {
        context: "cannot read the listening address".into(),
        source,
    })?;
    // OSC's port too, before any journal.
    let osc_in = crate::osc::bind(&config.osc).map_err(|source| RunError::Io {
        context: format!(
            "cannot listen for OSC on {} (in use? try another --osc-listen)",
            config
                .osc
                .listen
                .map_or_else(String::new, |a| a.to_string())
        ),
        source,
    })?;
    // One directory for an event's run, named once, so every room's journal is found together.
    let run_dir = config.run_dir.as_ref().map(|dir| match dir {
        RunDir::Given(dir) | RunDir::Resumed(dir) => dir.clone(),
        RunDir::Default { dir, stem } => {
            let clock = Clock::new(1.0);
            journal::default_run_dir(dir, stem, journal::wall(clock.unix_at_zero_ms() as i64))
        }
    });
    // With --nats, this process's part (primary or standby) is decided before any room starts;
    // a standby waits here for the primary's journals and starts its rooms from them.
    let link = match &config.nats {
        Some(options) => Some(
            crate::nats::standby::Link::open(options.clone(), mirrors(&config, run_dir.as_deref()))
                .await?,
        ),
        None => None,
    };
    let shutdown = CancellationToken::new();
    tokio::spawn(shutdown_on_signal(shutdown.clone()));
    let hangup = CancellationToken::new();
    tokio::spawn(hangup_on_signal(hangup.clone()));
    let interactive = std::io::stdin().is_terminal();
    if interactive && console::cook_if_raw() {
        tracing::info!(
            "the terminal was left in raw mode (by a run killed with SIGKILL?): restored it"
        );
    }
    let outlets = alerts::Outlets {
        desktop: config.notify,
        log: !interactive,
    };

    let mut organiser = config.organiser.clone();
    // One controller per room: a room's commands, crash or slow viewers never wait on another's.
    let mut rooms: Vec<Running> = Vec::new();
    let mut side_tasks = Vec::new();
    let mut speeds = Vec::new();
    let mut rehearsals = false;
    let rooms_started = tokio::time::Instant::now();
    for (index, room) in config.rooms.iter().enumerate() {
        let followed = link
            .as_ref()
            .and_then(|l| l.followed(&room.id))
            .transpose()?;
        // A standby of an event keeps the primary's organiser token too.
        if let Some(token) = followed
            .as_ref()
            .and_then(|r| r.header.organiser_token.as_deref())
        {
            organiser = Some(Token::new(token));
        }
        let start = match (&followed, &room.begin) {
            (Some(recorded), _) => start_following(&room.show, recorded),
            (None, begin) => match begin {
                Begin::Fresh {
                    token,
                    speed,
                    rehearsal,
                    journal,
                } => start_fresh(
                    room,
                    (token, *speed, *rehearsal, journal),
                    run_dir.as_deref(),
                    config.organiser.as_ref(),
                )?,
                Begin::Resume { recorded, why } => {
                    start_resumed(&room.show, recorded, why.as_deref(), !config.single)?
                }
            },
        };
        let Start {
            clock,
            engine,
            journal,
            token,
            rehearsal,
        } = start;
        speeds.push(clock.speed());
        rehearsals |= rehearsal;
        let journal_path = match (&journal, &followed) {
            (Some(journal), _) => journal.path().to_owned(),
            (None, Some(recorded)) => recorded.path.clone(),
            (None, None) => PathBuf::new(),
        };
        let setup = controller::Setup {
            show: room.show.clone(),
            clock,
            engine,
            journal,
            rehearsal,
            // Rooms start together: their heartbeats are spread over the second.
            first_heartbeat: controller::first_heartbeat(
                index,
                config.rooms.len(),
                rooms_started,
                tokio::time::Instant::now(),
            ),
        };
        let (control, task) = controller::spawn_with(setup, shutdown.clone());
        // Desktop notifications name the room when there are several.
        let label: Option<Arc<str>> = (!config.single).then(|| room.name.as_str().into());
        side_tasks.push(alerts::spawn(
            control.subscribe(),
            label.clone(),
            control.events(),
            outlets,
            shutdown.clone(),
        ));
        side_tasks.push(alerts::spawn_journal(
            control.subscribe(),
            label,
            control.journal_notices(),
            outlets,
            shutdown.clone(),
        ));
        // The session file: "Save to file", --write-back, and the organiser's edits on disk.
        let published = control.subscribe().borrow().clone();
        // The file's tables are the segments as loaded, or (resumed after --write-back) the run's.
        let ids: Vec<u32> = if published.show.segments == room.show.segments {
            published.segment_ids.to_vec()
        } else {
            (0..room.show.segments.len() as u32).collect()
        };
        if let Some(link) = session_file::link(&room.file, &room.hash, &ids, config.write_back) {
            control.attach_file(link.clone());
            side_tasks.push(session_file::spawn(link, control.clone(), shutdown.clone()));
        }
        rooms.push(Running {
            id: room.id.clone(),
            name: room.name.clone(),
            control,
            task,
            token,
            journal_path,
        });
    }

    // For a wildcard bind, the addresses speakers can use, loopback (this machine) last.
    let hosts = server::origin::reachable(addr, &server::origin::machine_addresses());
    let speed = speeds.first().copied().unwrap_or(1.0);
    let scheme = if config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    // On a wildcard bind the moderator's own machine is the loopback one (listed last): the token
    // then never crosses the network.
    let own = hosts.last().map_or("127.0.0.1", String::as_str);
    let speed_note = if speed == 1.0 {
        String::new()
    } else {
        format!(" (speed ×{speed})")
    };
    let rehearsal_note = if rehearsals { " — rehearsal" } else { "" };
    if config.single {
        let show = &config.rooms[0].show;
        term::say(format_args!(
            "podium: {} — {} segments, {}{speed_note}{rehearsal_note}",
            term::printable(&show.title),
            show.segments.len(),
            show::format_hms(show.total()),
        ));
        term::say(format_args!(
            "journal:      {}",
            term::printable(&rooms[0].journal_path.display().to_string())
        ));
    } else {
        term::say(format_args!(
            "podium: {} — {} rooms{speed_note}{rehearsal_note}",
            term::printable(&config.title),
            rooms.len(),
        ));
        if let Some(dir) = &run_dir {
            term::say(format_args!(
                "journals:     {} (one per room)",
                term::printable(&dir.display().to_string())
            ));
        }
    }
    for (i, host) in hosts.iter().enumerate() {
        let label = if i == 0 {
            "speaker view:"
        } else {
            "             "
        };
        let note = if addr.ip().is_unspecified() && i + 1 == hosts.len() {
            "  (this machine only)"
        } else {
            ""
        };
        term::say(format_args!("{label} {scheme}://{host}/{note}"));
    }
    if config.single {
        // Not aligned under "speaker view:": one row at 80 columns (79 with a 5-digit port and a
        // 32-digit token), so the link is copied whole.
        term::say(format_args!(
            "moderator: {scheme}://{own}/control#token={}",
            rooms[0].token.expose()
        ));
    } else {
        let first = hosts.first().map_or("127.0.0.1", String::as_str);
        for room in &rooms {
            term::say(format_args!(
                "room {}: {} — speaker {scheme}://{first}/r/{}/ — control \
                 {scheme}://{own}/r/{}/control#token={}",
                room.id,
                term::printable(&room.name),
                room.id,
                room.id,
                room.token.expose()
            ));
        }
        if let Some(organiser) = &organiser {
            // The link alone on its row (80 columns with port 8080), its note below.
            term::say(format_args!(
                "organiser: {scheme}://{own}/overview/#token={}",
                organiser.expose()
            ));
            term::say("  (the organiser's overview: sees and controls every room)");
        }
    }
    if addr.ip().is_unspecified() {
        term::say(format_args!(
            "listening on every interface (port {}): speakers use an address above that their \
             network reaches",
            addr.port()
        ));
    }
    if !addr.ip().is_loopback() && config.tls.is_none() {
        // A closed stderr must not panic the show.
        let _ = writeln!(
            std::io::stderr(),
            "podium: WARNING: serving plain HTTP on {addr}, beyond this machine. Anyone on the path \
             can read the moderator token and take over the show. Give --tls-cert and --tls-key, \
             or keep --bind 127.0.0.1 behind a TLS reverse proxy (see README)."
        );
    }
    if !interactive {
        term::say("no terminal on stdin: headless, control over HTTP only");
    }
    if let Some(socket) = &osc_in
        && let Ok(at) = socket.local_addr()
    {
        term::say(format_args!("osc in:       udp://{at} (docs/osc.md)"));
        if let Some(warning) = crate::osc::exposure_warning(at) {
            let _ = writeln!(std::io::stderr(), "{warning}");
        }
    }
    for target in &config.osc.send {
        term::say(format_args!("osc out:      udp://{target}"));
    }
    let osc_rooms = crate::osc::Rooms {
        rooms: rooms
            .iter()
            .map(|r| crate::osc::Room {
                id: r.id.clone(),
                control: r.control.clone(),
            })
            .collect(),
        single: config.single,
    };
    side_tasks.extend(
        crate::osc::spawn(
            &config.osc,
            osc_in,
            osc_rooms,
            config.limits.commands_per_second,
            shutdown.clone(),
        )
        .await,
    );
    let server_config = server::Config {
        token: rooms[0].token.clone(),
        limits: config.limits.clone(),
        allow_framing: config.allow_framing,
        tls: config.tls.clone(),
        allowed_origins: config.allowed_origins.clone(),
        allowed_hosts: server::origin::machine_names(),
        speaker_hosts: hosts.clone(),
    };
    let registry = match &organiser {
        Some(organiser) if !config.single => server::Rooms::event(
            rooms
                .iter()
                .map(|r| server::RoomEntry {
                    id: r.id.clone(),
                    name: r.name.clone(),
                    control: r.control.clone(),
                    token: r.token.clone(),
                })
                .collect(),
            organiser.clone(),
        ),
        _ => server::Rooms::single(rooms[0].control.clone(), rooms[0].token.clone()),
    };
    // The lease, the journals and the states on NATS: the rooms' gates are shut before the
    // server takes any command, until the lease opens them.
    if let Some(link) = link {
        side_tasks.push(
            link.start(
                rooms.iter().map(|r| r.control.clone()).collect(),
                registry.clone(),
                shutdown.clone(),
            )
            .await,
        );
    }
    let server_task = tokio::spawn(server::serve_rooms(
        listener,
        registry,
        server_config,
        shutdown.clone(),
    ));

    let handles: Vec<(String, controller::Handle)> = rooms
        .iter()
        .map(|r| {
            let label = if config.single {
                String::new()
            } else {
                r.id.clone()
            };
            (label, r.control.clone())
        })
        .collect();
    if interactive {
        // A lost terminal ends only the console: the show goes on, controlled over HTTP.
        if let console::Ended::Lost(why) =
            console::run_rooms(handles, shutdown.clone(), hangup.clone()).await
        {
            tracing::warn!(
                "{why}: going on headless; control the show from the moderator page or the \
                 HTTP API, stop it with SIGTERM or SIGINT"
            );
            if let Err(e) = term::park_stdin() {
                tracing::warn!("cannot detach standard input from the lost terminal: {e}");
            }
        }
    } else {
        drop(handles);
    }
    let mut tasks = Vec::new();
    let mut journals = Vec::new();
    for room in rooms {
        tasks.push(room.task);
        journals.push((room.id, room.journal_path));
    }
    shutdown.cancelled().await;
    // Clients have been told; give sockets a moment to close, never more than two seconds.
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        let _ = server_task.await;
        for task in tasks {
            let _ = task.await;
        }
        for task in side_tasks {
            let _ = task.await;
        }
    })
    .await;
    // The terminal or pipe may be gone by now: `say` ignores that.
    for (id, journal_path) in &journals {
        match journal::read(journal_path) {
            Ok(recorded) => {
                term::say("");
                if !config.single {
                    term::say(format_args!("## Room {id}"));
                }
                for line in Report::from_journal(&recorded).markdown().lines() {
                    term::say(term::printable(line));
                }
            }
            Err(e) => tracing::error!("cannot read back the journal of room {id}: {e}"),
        }
    }
    match (&run_dir, journals.first()) {
        (Some(dir), _) if !config.single => term::say(format_args!(
            "podium: stopped; the run is recorded in {} (one journal per room)",
            term::printable(&dir.display().to_string())
        )),
        (_, Some((_, journal_path))) => term::say(format_args!(
            "podium: stopped; the run is recorded in {}",
            term::printable(&journal_path.display().to_string())
        )),
        _ => {}
    }
    Ok(())
}

/// Binds with a deep accept queue (tokio's default is 128): when a crowd opens the link at once,
/// nobody should wait a second for a SYN retry. The kernel caps it at `net.core.somaxconn`.
pub(crate) fn listen(addr: std::net::SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(4096)
}

/// Each viewer is a socket: raise the soft file-descriptor limit to the hard one, and say so when
/// even that cannot hold `--max-connections`.
pub(crate) fn raise_fd_limit(max_connections: usize) {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) if limit < max_connections as u64 + 64 => tracing::warn!(
            "this process may open only {limit} files: fewer viewers than --max-connections \
             {max_connections} can connect"
        ),
        Ok(_) => {}
        Err(e) => tracing::warn!("cannot raise the file-descriptor limit: {e}"),
    }
}

/// Cancels `hangup` on SIGHUP (the terminal was closed, the SSH session dropped), which would
/// otherwise kill the process: the show goes on headless. Later hangups are ignored.
fn hangup_on_signal(hangup: CancellationToken) -> impl std::future::Future<Output = ()> + Send {
    // Installed now, like `shutdown_on_signal`: SIGHUP's default action ends the process.
    #[cfg(unix)]
    let hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup());
    async move {
        #[cfg(unix)]
        {
            let mut hup = match hup {
                Ok(hup) => hup,
                Err(e) => {
                    tracing::warn!(
                        "cannot listen for SIGHUP (closing the terminal will end the show): {e}"
                    );
                    return;
                }
            };
            let mut told = false;
            while hup.recv().await.is_some() {
                if !told {
                    told = true;
                    tracing::warn!("SIGHUP: the terminal hung up; the show goes on headless");
                }
                hangup.cancel();
            }
        }
        #[cfg(not(unix))]
        let _ = hangup;
    }
}

/// Cancels `shutdown` on Ctrl-C (SIGINT) or SIGTERM. The handlers are installed when this is
/// called, not when the returned future is first polled: a SIGTERM that arrives before the task
/// runs (right after start, on a loaded machine) is a clean shutdown too, never the default
/// action that kills the process with the journal unfinished.
pub fn shutdown_on_signal(
    shutdown: CancellationToken,
) -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            match (interrupt, terminate) {
                (Ok(mut interrupt), Ok(mut terminate)) => {
                    tokio::select! {
                        _ = interrupt.recv() => {}
                        _ = terminate.recv() => {}
                    }
                }
                (interrupt, terminate) => {
                    let e = interrupt.err().or(terminate.err());
                    tracing::warn!(
                        "cannot listen for Ctrl-C or SIGTERM: {}",
                        e.map(|e| e.to_string()).unwrap_or_default()
                    );
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
            shutdown.cancel();
        }
    }
    #[cfg(not(unix))]
    async move {
        let _ = tokio::signal::ctrl_c().await;
        shutdown.cancel();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A SIGTERM that arrives before the signal task is first polled (right after start, on a
    /// loaded machine) used to meet the default action and kill the process mid-start; the
    /// handler is installed when `shutdown_on_signal` is called.
    #[tokio::test]
    async fn a_sigterm_before_the_signal_task_runs_is_a_clean_shutdown() {
        let shutdown = CancellationToken::new();
        let waiting = shutdown_on_signal(shutdown.clone());
        nix::sys::signal::raise(nix::sys::signal::Signal::SIGTERM).expect("SIGTERM raised");
        tokio::time::timeout(Duration::from_secs(10), waiting)
            .await
            .expect("the SIGTERM was caught");
        assert!(shutdown.is_cancelled());
    }
}
