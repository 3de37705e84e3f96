//! The `podium` binary: parses the command line, sets up logging, calls into the library and maps
//! errors to exit codes (2: a session file or argument is wrong; 1: anything else).

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use podium::cli::{Cli, Cmd, Format, ImportArgs, PlanFormat, RunArgs};
use podium::clock::{Clock, unix_now_ms};
use podium::engine::Engine;
use podium::follow::{self, FollowError};
use podium::import::ImportError;
use podium::journal::{self, Header, Journal, JournalError, Line};
use podium::report::{Comparison, Report, ReportError};
use podium::server::Token;
use podium::show::{self, ExportError, LoadError, Timetable};
use podium::{alerts, console, controller, server};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// An error whose fix is in the user's input: exit status 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Usage(String);

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PODIUM_LOG")
                .unwrap_or_else(|_| "podium=info".into()),
        )
        .init();
    let result = match cli.command {
        Cmd::Check { files } => check(&files),
        Cmd::Plan {
            file,
            start,
            zones,
            format,
        } => plan(&file, start.as_deref(), &zones, format),
        Cmd::Import(args) => import(args),
        Cmd::Report { journals, format } => report(&journals, format),
        Cmd::Run(args) => tokio::runtime::Runtime::new()
            .context("cannot start the async runtime")
            .and_then(|rt| rt.block_on(run(args))),
        Cmd::Follow { url, name } => follow(&url, name.as_deref()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("podium: {e:#}");
            let journal_input = matches!(
                e.downcast_ref::<JournalError>(),
                Some(
                    JournalError::ShowChanged { .. }
                        | JournalError::NothingToResume { .. }
                        | JournalError::Corrupt { .. }
                        | JournalError::NoHeader { .. }
                )
            );
            let bad_url = matches!(
                e.downcast_ref::<FollowError>(),
                Some(FollowError::BadUrl { .. })
            );
            if e.downcast_ref::<LoadError>().is_some()
                || bad_url
                || e.downcast_ref::<Usage>().is_some()
                || e.downcast_ref::<ReportError>().is_some()
                || e.downcast_ref::<ImportError>().is_some()
                || e.downcast_ref::<ExportError>().is_some()
                || journal_input
            {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

fn check(files: &[std::path::PathBuf]) -> anyhow::Result<()> {
    let mut broken = 0;
    for file in files {
        match show::load_file(file) {
            Ok(show) => {
                println!(
                    "ok  {}: {} segments, {}",
                    file.display(),
                    show.segments.len(),
                    show::format_hms(show.total())
                );
                for warning in Timetable::new(&show, None).warnings() {
                    eprintln!("{}: warning: {warning}", file.display());
                }
            }
            Err(e) => {
                broken += 1;
                eprintln!("{e}");
            }
        }
    }
    if broken > 0 {
        return Err(Usage(format!(
            "{broken} of {} session files are broken",
            files.len()
        ))
        .into());
    }
    Ok(())
}

fn plan(
    file: &std::path::Path,
    start: Option<&str>,
    zones: &[String],
    format: PlanFormat,
) -> anyhow::Result<()> {
    let show = show::load_file(file)?;
    let start = start
        .map(|s| {
            show::parse_start(s, show.timezone).map_err(|why| Usage(format!("--start: {why}")))
        })
        .transpose()?;
    let zones = zones
        .iter()
        .map(|z| show::parse_zone(z).map_err(|why| Usage(format!("--tz: {why}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let format = match format {
        PlanFormat::Text => show::Format::Text,
        PlanFormat::Json => show::Format::Json,
        PlanFormat::Csv => show::Format::Csv,
        PlanFormat::Ics => show::Format::Ics,
    };
    print!(
        "{}",
        show::render(&Timetable::new(&show, start), &zones, format)?
    );
    Ok(())
}

fn import(args: ImportArgs) -> anyhow::Result<()> {
    let options = podium::import::Options {
        title: args.title,
        timezone: args.timezone,
        date: args.date,
        day: args.day,
    };
    let session = podium::import::import_file(&args.file, &options)?;
    match args.out {
        Some(out) => {
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&out)
                .map_err(|e| match e.kind() {
                    std::io::ErrorKind::AlreadyExists => Usage(format!(
                        "{} already exists: remove it or choose another --out",
                        out.display()
                    ))
                    .into(),
                    _ => anyhow::Error::new(e).context(format!("cannot create {}", out.display())),
                })?;
            std::io::Write::write_all(&mut file, session.text.as_bytes())
                .with_context(|| format!("cannot write {}", out.display()))?;
            eprintln!(
                "podium: wrote {} ({} segments); check it with `podium plan {}`",
                out.display(),
                session.segments,
                out.display()
            );
        }
        None => print!("{}", session.text),
    }
    Ok(())
}

fn report(journals: &[std::path::PathBuf], format: Format) -> anyhow::Result<()> {
    let reports = journals
        .iter()
        .map(|j| journal::read(j).map(|r| Report::from_journal(&r)))
        .collect::<Result<Vec<_>, _>>()?;
    let text = if let [one] = reports.as_slice() {
        match format {
            Format::Md => one.markdown(),
            Format::Csv => one.csv()?,
            Format::Json => one.json() + "\n",
        }
    } else {
        let cmp = Comparison::check(&reports)?;
        match format {
            Format::Md => cmp.markdown(),
            Format::Csv => cmp.csv()?,
            Format::Json => cmp.json() + "\n",
        }
    };
    print!("{text}");
    Ok(())
}

fn follow(url: &str, name: Option<&str>) -> anyhow::Result<()> {
    let url = follow::socket_url(url, name)?;
    let rt = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    rt.block_on(async {
        let shutdown = CancellationToken::new();
        tokio::spawn(on_signal(shutdown.clone()));
        follow::run(url, shutdown).await
    })?;
    Ok(())
}

/// What a run starts from: a new journal, or a replayed one.
struct Start {
    clock: Clock,
    engine: Engine,
    journal: Journal,
    token: Token,
    rehearsal: bool,
}

fn start_fresh(args: &RunArgs, show: &show::Show, hash: String) -> anyhow::Result<Start> {
    let token = match &args.token {
        Some(t) if t.trim().len() >= 8 => Token::new(t.trim()),
        Some(_) => return Err(Usage("--token must be at least 8 characters".into()).into()),
        None => Token::generate().context("cannot read the OS random source for a token")?,
    };
    let speed = args.speed.unwrap_or(1.0);
    let clock = Clock::new(speed);
    let target = clock.target_for(show, args.rehearsal);
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
) -> anyhow::Result<Start> {
    let recorded = match from {
        Some(path) => journal::read(path)?,
        None => journal::newest_unfinished(std::path::Path::new("runs"), &args.file)?,
    };
    let header = &recorded.header;
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
    journal.write(&[Line::Resume {
        at_ms: now.0,
        wall: journal::wall(unix_now_ms() as i64),
    }])?;
    println!("podium: resuming {}", recorded.path.display());
    Ok(Start {
        clock,
        engine,
        journal,
        token: Token::new(header.token.as_str()),
        rehearsal: header.rehearsal,
    })
}

async fn run(args: RunArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.file).map_err(|source| LoadError::Read {
        path: args.file.clone(),
        source,
    })?;
    let show = Arc::new(show::load_str(&args.file, &text)?);
    let hash = journal::content_hash(text.as_bytes());
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => {
            Some(server::tls_acceptor(cert, key).map_err(|e| Usage(e.to_string()))?)
        }
        _ => None,
    };
    raise_fd_limit(args.max_connections);
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
    let listener = listen(args.bind).with_context(|| {
        format!(
            "cannot listen on {} (in use? try another --bind)",
            args.bind
        )
    })?;
    let addr = listener.local_addr()?;
    let shutdown = CancellationToken::new();
    tokio::spawn(on_signal(shutdown.clone()));

    let setup = controller::Setup {
        show: show.clone(),
        clock,
        engine,
        journal: Some(journal),
        rehearsal,
    };
    let (control, controller_task) = controller::spawn_with(setup, shutdown.clone());
    let interactive = std::io::stdin().is_terminal();
    let alerts_task = alerts::spawn(&control, !args.no_notify, !interactive, shutdown.clone());

    let host = if addr.ip().is_unspecified() {
        format!("127.0.0.1:{}", addr.port())
    } else {
        addr.to_string()
    };
    let speed = clock.speed();
    println!(
        "podium: {} — {} segments, {}{}{}",
        show.title,
        show.segments.len(),
        show::format_hms(show.total()),
        if speed == 1.0 {
            String::new()
        } else {
            format!(" (speed ×{speed})")
        },
        if rehearsal { " — rehearsal" } else { "" }
    );
    println!("journal:      {}", journal_path.display());
    let scheme = if tls.is_some() { "https" } else { "http" };
    println!("speaker view: {scheme}://{host}/");
    println!(
        "moderator:    {scheme}://{host}/control#token={}",
        token.expose()
    );
    if addr.ip().is_unspecified() {
        println!(
            "listening on every interface: speakers use this machine's address, port {}",
            addr.port()
        );
    }
    if !addr.ip().is_loopback() && tls.is_none() {
        eprintln!(
            "podium: WARNING: serving plain HTTP on {addr}, beyond this machine. Anyone on the path \
             can read the moderator token and take over the show. Give --tls-cert and --tls-key, \
             or keep --bind 127.0.0.1 behind a TLS reverse proxy (see README)."
        );
    }
    if !interactive {
        println!("no terminal on stdin: headless, control over HTTP only");
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
    };
    let server_task = tokio::spawn(server::serve_with(
        listener,
        control.clone(),
        config,
        shutdown.clone(),
    ));

    if interactive {
        console::run(control, shutdown.clone()).await?;
        shutdown.cancel();
    } else {
        drop(control);
        shutdown.cancelled().await;
    }
    // Clients have been told; give sockets a moment to close, never more than two seconds.
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        let _ = server_task.await;
        let _ = controller_task.await;
        let _ = alerts_task.await;
    })
    .await;
    match journal::read(&journal_path) {
        Ok(recorded) => print!(
            "\n{}",
            Report::from_journal(&recorded)
                .markdown()
                .replace('\n', "\r\n")
        ),
        Err(e) => tracing::error!("cannot read back the journal: {e}"),
    }
    println!(
        "podium: stopped; the run is recorded in {}",
        journal_path.display()
    );
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

async fn on_signal(shutdown: CancellationToken) {
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
