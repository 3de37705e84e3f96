//! One live run of a show: opening or resuming its journal, binding the listener, then wiring the
//! controller, server, alerts and the moderator's terminal until Ctrl-C, SIGTERM or quit, and
//! printing the report. `main` only parses arguments and maps [`RunError`] to an exit status.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::cli::RunArgs;
use crate::clock::Clock;
use crate::engine::Engine;
use crate::journal::{self, Header, Journal, JournalError, Line};
use crate::report::Report;
use crate::server::{self, Token};
use crate::show::{self, LoadError};
use crate::{alerts, console, controller, term};

/// Why a run could not start or go on.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// An argument needs fixing; the message says how.
    #[error("{0}")]
    Usage(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

impl RunError {
    /// Whether the fix is in the user's input (a session file, journal or argument): exit 2.
    pub fn is_input(&self) -> bool {
        match self {
            RunError::Load(_) | RunError::Usage(_) => true,
            RunError::Journal(j) => j.is_input(),
            RunError::Io { .. } => false,
        }
    }
}

/// What a run starts from: a new journal, or a replayed one.
struct Start {
    clock: Clock,
    engine: Engine,
    journal: Journal,
    token: Token,
    rehearsal: bool,
}

fn start_fresh(args: &RunArgs, show: &show::Show, hash: String) -> Result<Start, RunError> {
    let token = match &args.token {
        Some(t) if t.trim().chars().count() >= server::MIN_TOKEN_CHARS => Token::new(t.trim()),
        Some(_) => {
            return Err(RunError::Usage(format!(
                "--token must be at least {} characters, so that it cannot be guessed; leave it \
                 out for 128 random bits",
                server::MIN_TOKEN_CHARS
            )));
        }
        None => Token::generate().map_err(|e| RunError::Io {
            context: "cannot read the OS random source for a token".into(),
            source: std::io::Error::other(e),
        })?,
    };
    let speed = args.speed.unwrap_or(1.0);
    let clock = Clock::new(speed);
    let target = clock.target_for(show, args.rehearsal, clock.unix_ms(clock.now()));
    let header = Header::new(
        show,
        hash,
        speed,
        args.rehearsal,
        token.expose(),
        clock.unix_at_zero_ms(),
    )
    .with_target(target);
    let journal = match &args.journal {
        Some(path) => Journal::create(path, &header)?,
        None => Journal::create_unique(
            &journal::default_path(
                std::path::Path::new("runs"),
                &args.file,
                journal::wall(clock.unix_at_zero_ms() as i64),
            ),
            &header,
        )?,
    };
    Ok(Start {
        clock,
        engine: Engine::new(show).with_target(target),
        journal,
        token,
        rehearsal: args.rehearsal,
    })
}

fn start_resumed(
    args: &RunArgs,
    show: &show::Show,
    hash: &str,
    from: Option<&std::path::Path>,
) -> Result<Start, RunError> {
    let (recorded, why) = match from {
        Some(path) => (journal::read(path)?, None),
        None => {
            let chosen = journal::newest_unfinished(std::path::Path::new("runs"), &args.file)?;
            let why = chosen.explain();
            (chosen.recorded, Some(why))
        }
    };
    let header = &recorded.header;
    header.check_token(&recorded.path)?;
    header.check_same_show(&recorded.path, show, hash)?;
    if args.speed.is_some_and(|s| s != header.speed)
        || args.token.as_deref().is_some_and(|t| t != header.token)
    {
        tracing::warn!(
            "resuming keeps the journal's speed and token; --speed and --token are ignored"
        );
    }
    let clock = Clock::resume(header.speed, header.unix_at_zero_ms);
    let engine = recorded.replay(show);
    let mut journal = Journal::reopen(&recorded)?;
    let now = clock.now();
    // Queued, not written: on a full disk the show resumes anyway and the controller retries
    // and alerts (a resume is not a new journal, so there is nothing to leave behind).
    journal.queue(&[Line::Resume {
        at_ms: now.0,
        wall: journal::wall(clock.unix_ms(now)),
    }]);
    match why {
        Some(why) => crate::term::say(format_args!("podium: {}", crate::term::printable(&why))),
        None => crate::term::say(format_args!(
            "podium: resuming {}",
            crate::term::printable(&recorded.path.display().to_string())
        )),
    }
    Ok(Start {
        clock,
        engine,
        journal,
        token: Token::new(header.token.as_str()),
        rehearsal: header.rehearsal,
    })
}

/// Runs the show until Ctrl-C, SIGTERM or the moderator quits.
pub async fn run(args: RunArgs) -> Result<(), RunError> {
    let text = std::fs::read_to_string(&args.file).map_err(|source| LoadError::Read {
        path: args.file.clone(),
        source,
    })?;
    let show = Arc::new(show::load_str(&args.file, &text)?);
    if let Some(why) = show::zone_caution(show.timezone) {
        tracing::warn!("{}: {why}", args.file.display());
    }
    let hash = journal::content_hash(text.as_bytes());
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => {
            Some(server::tls_acceptor(cert, key).map_err(|e| RunError::Usage(e.to_string()))?)
        }
        _ => None,
    };
    raise_fd_limit(args.max_connections);
    // Bind before touching the journal: a run that cannot start must leave nothing for a later
    // `--resume` to pick up.
    let listener = listen(args.bind).map_err(|source| RunError::Io {
        context: format!(
            "cannot listen on {} (in use? try another --bind)",
            args.bind
        ),
        source,
    })?;
    let addr = listener.local_addr().map_err(|source| RunError::Io {
        context: "cannot read the listening address".into(),
        source,
    })?;
    let start = match &args.resume {
        Some(from) => start_resumed(&args, &show, &hash, from.as_deref())?,
        None => start_fresh(&args, &show, hash)?,
    };
    let Start {
        clock,
        engine,
        journal,
        token,
        rehearsal,
    } = start;
    let journal_path = journal.path().to_owned();
    let shutdown = CancellationToken::new();
    tokio::spawn(shutdown_on_signal(shutdown.clone()));
    let hangup = CancellationToken::new();
    tokio::spawn(hangup_on_signal(hangup.clone()));

    let setup = controller::Setup {
        show: show.clone(),
        clock,
        engine,
        journal: Some(journal),
        rehearsal,
    };
    let (control, controller_task) = controller::spawn_with(setup, shutdown.clone());
    let interactive = std::io::stdin().is_terminal();
    if interactive && console::cook_if_raw() {
        tracing::info!(
            "the terminal was left in raw mode (by a run killed with SIGKILL?): restored it"
        );
    }
    let outlets = alerts::Outlets {
        desktop: !args.no_notify,
        log: !interactive,
    };
    let alerts_task = alerts::spawn(
        control.show().clone(),
        control.events(),
        outlets,
        shutdown.clone(),
    );
    let journal_alerts = alerts::spawn_journal(
        control.show().clone(),
        control.journal_notices(),
        outlets,
        shutdown.clone(),
    );

    // For a wildcard bind, the addresses speakers can use, loopback (this machine) last.
    let hosts = server::origin::reachable(addr, &server::origin::machine_addresses());
    let speed = clock.speed();
    term::say(format_args!(
        "podium: {} — {} segments, {}{}{}",
        term::printable(&show.title),
        show.segments.len(),
        show::format_hms(show.total()),
        if speed == 1.0 {
            String::new()
        } else {
            format!(" (speed ×{speed})")
        },
        if rehearsal { " — rehearsal" } else { "" }
    ));
    term::say(format_args!(
        "journal:      {}",
        term::printable(&journal_path.display().to_string())
    ));
    let scheme = if tls.is_some() { "https" } else { "http" };
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
    // On a wildcard bind the moderator's own machine is the loopback one (listed last): the token
    // then never crosses the network.
    let own = hosts.last().map_or("127.0.0.1", String::as_str);
    term::say(format_args!(
        "moderator:    {scheme}://{own}/control#token={}",
        token.expose()
    ));
    if addr.ip().is_unspecified() {
        term::say(format_args!(
            "listening on every interface (port {}): speakers use an address above that their \
             network reaches",
            addr.port()
        ));
    }
    if !addr.ip().is_loopback() && tls.is_none() {
        eprintln!(
            "podium: WARNING: serving plain HTTP on {addr}, beyond this machine. Anyone on the path \
             can read the moderator token and take over the show. Give --tls-cert and --tls-key, \
             or keep --bind 127.0.0.1 behind a TLS reverse proxy (see README)."
        );
    }
    if !interactive {
        term::say("no terminal on stdin: headless, control over HTTP only");
    }
    let config = server::Config {
        token,
        limits: server::Limits {
            max_connections: args.max_connections as usize,
            handshake_timeout: args.handshake_timeout,
            send_timeout: args.send_timeout,
            commands_per_second: args.commands_per_second,
            ..server::Limits::default()
        },
        allow_framing: args.allow_framing,
        tls,
        allowed_origins: args.allow_origins.clone(),
        allowed_hosts: server::origin::machine_names(),
    };
    let server_task = tokio::spawn(server::serve_with(
        listener,
        control.clone(),
        config,
        shutdown.clone(),
    ));

    if interactive {
        // A lost terminal ends only the console: the show goes on, controlled over HTTP.
        if let console::Ended::Lost(why) =
            console::run(control, shutdown.clone(), hangup.clone()).await
        {
            tracing::warn!(
                "{why}: going on headless; control the show from the moderator page or the \
                 HTTP API, stop it with SIGTERM or SIGINT"
            );
        }
    } else {
        drop(control);
    }
    shutdown.cancelled().await;
    // Clients have been told; give sockets a moment to close, never more than two seconds.
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        let _ = server_task.await;
        let _ = controller_task.await;
        let _ = alerts_task.await;
        let _ = journal_alerts.await;
    })
    .await;
    // The terminal or pipe may be gone by now: `say` ignores that.
    match journal::read(&journal_path) {
        Ok(recorded) => {
            term::say("");
            for line in Report::from_journal(&recorded).markdown().lines() {
                term::say(term::printable(line));
            }
        }
        Err(e) => tracing::error!("cannot read back the journal: {e}"),
    }
    term::say(format_args!(
        "podium: stopped; the run is recorded in {}",
        term::printable(&journal_path.display().to_string())
    ));
    Ok(())
}

/// Binds with a deep accept queue (tokio's default is 128): when a crowd opens the link at once,
/// nobody should wait a second for a SYN retry. The kernel caps it at `net.core.somaxconn`.
fn listen(addr: std::net::SocketAddr) -> std::io::Result<TcpListener> {
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
fn raise_fd_limit(max_connections: u32) {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) if limit < u64::from(max_connections) + 64 => tracing::warn!(
            "this process may open only {limit} files: fewer viewers than --max-connections \
             {max_connections} can connect"
        ),
        Ok(_) => {}
        Err(e) => tracing::warn!("cannot raise the file-descriptor limit: {e}"),
    }
}

/// Cancels `hangup` on SIGHUP (the terminal was closed, the SSH session dropped), which would
/// otherwise kill the process: the show goes on headless. Later hangups are ignored.
async fn hangup_on_signal(hangup: CancellationToken) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut hup = match signal(SignalKind::hangup()) {
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

/// Cancels `shutdown` on Ctrl-C (SIGINT) or SIGTERM.
pub async fn shutdown_on_signal(shutdown: CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(e) => {
                    tracing::warn!("cannot listen for SIGTERM: {e}");
                    let _ = ctrl_c.await;
                    shutdown.cancel();
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
    shutdown.cancel();
}
