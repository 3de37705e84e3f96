//! The `podium` binary: parses the command line, sets up logging, calls into the library and maps
//! errors to exit codes (2: a session file or argument is wrong; 1: anything else).

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use podium::cli::{Cli, Cmd, RunArgs};
use podium::clock::Clock;
use podium::server::Token;
use podium::show::{self, LoadError, Timetable};
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
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PODIUM_LOG")
                .unwrap_or_else(|_| "podium=info".into()),
        )
        .init();
    let result = match cli.command {
        Cmd::Check { files } => check(&files),
        Cmd::Plan { file, start, zones } => plan(&file, start.as_deref(), &zones),
        Cmd::Run(args) => tokio::runtime::Runtime::new()
            .context("cannot start the async runtime")
            .and_then(|rt| rt.block_on(run(args))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("podium: {e:#}");
            if e.downcast_ref::<LoadError>().is_some() || e.downcast_ref::<Usage>().is_some() {
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
            Ok(show) => println!(
                "ok  {}: {} segments, {}",
                file.display(),
                show.segments.len(),
                show::format_hms(show.total())
            ),
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

fn plan(file: &std::path::Path, start: Option<&str>, zones: &[String]) -> anyhow::Result<()> {
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
    print!("{}", Timetable::new(&show, start).render(&zones));
    Ok(())
}

async fn run(args: RunArgs) -> anyhow::Result<()> {
    let show = Arc::new(show::load_file(&args.file)?);
    let token = match args.token {
        Some(t) if t.trim().len() >= 8 => Token::new(t.trim()),
        Some(_) => return Err(Usage("--token must be at least 8 characters".into()).into()),
        None => Token::generate().context("cannot read the OS random source for a token")?,
    };
    let listener = TcpListener::bind(args.bind).await.with_context(|| {
        format!(
            "cannot listen on {} (in use? try another --bind)",
            args.bind
        )
    })?;
    let addr = listener.local_addr()?;
    let shutdown = CancellationToken::new();
    tokio::spawn(on_signal(shutdown.clone()));

    let clock = Clock::new(args.speed);
    let (control, controller_task) = controller::spawn(show.clone(), clock, shutdown.clone());
    let interactive = std::io::stdin().is_terminal();
    let alerts_task = alerts::spawn(&control, !args.no_notify, !interactive, shutdown.clone());

    let host = if addr.ip().is_unspecified() {
        format!("127.0.0.1:{}", addr.port())
    } else {
        addr.to_string()
    };
    println!(
        "podium: {} — {} segments, {}{}",
        show.title,
        show.segments.len(),
        show::format_hms(show.total()),
        if args.speed == 1.0 {
            String::new()
        } else {
            format!(" (speed ×{})", args.speed)
        }
    );
    println!("speaker view: http://{host}/");
    println!(
        "moderator:    http://{host}/control#token={}",
        token.expose()
    );
    if addr.ip().is_unspecified() {
        println!(
            "listening on every interface: speakers use this machine's address, port {}",
            addr.port()
        );
        tracing::warn!("serving plain HTTP on every interface: put TLS in front for the internet");
    }
    if !interactive {
        println!("no terminal on stdin: headless, control over HTTP only");
    }
    let server_task = tokio::spawn(server::serve(
        listener,
        control.clone(),
        token,
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
    println!("podium: stopped");
    Ok(())
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
